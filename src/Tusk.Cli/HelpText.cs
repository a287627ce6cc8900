namespace Tusk.Cli;

/// <summary>Usage texts of every command; printed by <c>--help</c> (stdout) and after a usage error (stderr).</summary>
internal static class HelpText
{
    public const string Main = """
        tusk - a data system built from Designing Data-Intensive Applications

        Usage:
          tusk start [--data DIR]           run a single node (storage engine and Kafka broker)
          tusk start --id N --listen H:P --peers ID=H:P,...
                                            run a node of a replicated (Raft) key-value cluster
          tusk cluster status --cluster ID=H:P,...
                                            show each node's role, term, commit and applied index, and lag
          tusk topic <command> [args]       create, list, describe and delete topics of a running broker
          tusk group <command> [args]       list and describe consumer groups of a running broker
          tusk kv <command> [args]          read and write the key-value store directly
          tusk bench storage [flags]        measure the storage engine (db_bench-compatible flags)
          tusk bench raft --target ...      closed-loop writes on a Tusk or etcd cluster (bench/raft-vs-etcd.sh)
          tusk bench kafka-produce ...      lean Kafka produce load (bench/log-throughput.sh)
          tusk sim raft --seeds A..B        run deterministic simulations of the Raft KV store under faults
          tusk --version                    print the version
          tusk <command> --help             help for a command

        Topic and group commands (all take --bootstrap HOST:PORT, default 127.0.0.1:9092):
          topic create NAME [--partitions N] [--config K=V ...]     topic list      topic delete NAME
          topic describe NAME               group list              group describe GROUP

        Key-value commands (all take --data DIR, default ./tusk-data; put, get, cas and delete take
        --cluster ID=H:P,... instead to use a replicated cluster):
          put KEY VALUE [--sync]            get KEY                 delete KEY
          cas KEY EXPECTED NEW --cluster ...
          delete-range BEGIN END            scan [--from K] [--to K] [--limit N] [--reverse] [--hex]
          stats                             compact                 fill --count N [--sync]

        A single node is the LSM storage engine and a Kafka-compatible broker; a cluster node (--id) is a
        member of a Raft-replicated key-value store. `tusk start` also serves SQL over the PostgreSQL protocol
        (psql, Npgsql and other PostgreSQL clients connect to --pg, default 127.0.0.1:5433).

        Exit codes: 0 success, 1 runtime error (I/O, corruption, locked data directory, key not found,
        broker unreachable or refusing the request), 2 bad usage.
        """;

    public const string Sim = """
        Usage: tusk sim raft [--seeds A..B] [--faults all|none|LIST] [--trace] [--verbose]

        Runs deterministic simulations of a replicated key-value cluster: Raft nodes, clients and faults in
        one thread and virtual time. Each seed picks the cluster size (1, 3 or 5), Raft settings, disk
        latency, snapshot frequency, the client workload and the fault mix; clients run through a fault
        phase, then everything heals and a write must commit and reach every node. The run is checked for
        Raft's invariants (one leader per term, every node applies the same entries, a new leader holds
        every committed entry) and for linearizability of the clients' gets, puts and compare-and-sets.

        A run is a pure function of its seed: a failing seed replays exactly.

        Options:
          --seeds A..B      seeds to run, inclusive (default 1..100); one seed: --seeds 7
          --faults F        all (default: the mix each seed draws), none, or a comma list of the kinds
                            allowed: partition, asymmetric, isolate, clog, crash, pause, clock, loss, dup
          --trace           print every event of the run (at most 10 seeds)
          --verbose         print a line for every seed, not only failing ones

        Prints one line per failing seed (with its options and the violation), then
        `N passed, M failed`. Exit code 1 if any seed failed.
        """;

    public const string Cluster = """
        Usage: tusk cluster status --cluster ID=HOST:PORT,... [--json]

        Asks every member of a replicated key-value cluster for its state and prints one row per node:
        role (leader, follower, candidate), term, the leader it knows, commit index, applied index, and
        lag (how many committed entries it is behind the leader). Unreachable nodes are listed as such
        and make the exit code 1.
        """;

    public const string KvCas = """
        Usage: tusk kv cas KEY EXPECTED NEW --cluster ID=HOST:PORT,... [--absent] [--timeout SECONDS]

        Compare-and-set on a replicated cluster: sets KEY to NEW if it holds EXPECTED (with --absent: if
        it does not exist; EXPECTED is then ignored). Prints OK, or exits 1 naming the value found.
        """;

    public const string Start = """
        Usage: tusk start [--data DIR] [--kafka HOST:PORT|off] [--pg HOST:PORT|off] [--stats-interval SECONDS]

        Runs a single Tusk node on an embedded data directory. Opens the storage engine (recovering the
        write-ahead log and the table files) and the Kafka topics under DIR/topics, serves the Kafka
        protocol (kcat, librdkafka, kafka-python and other Kafka clients connect to --kafka) and SQL over
        the PostgreSQL protocol from the database in DIR/sql (psql, Npgsql and other PostgreSQL clients
        connect to --pg), then stays up until SIGINT (Ctrl+C) or SIGTERM, printing a one-line statistics
        summary every --stats-interval seconds; then it closes everything cleanly. Only one process may
        use a data directory at a time. Use `tusk kv` (in another shell, after stopping the node) to read
        and write the storage engine directly.

        With --id, runs instead one node of a replicated key-value cluster (Raft): every write is
        committed on a majority of the members' durable logs before it is acknowledged, and reads are
        linearizable (ReadIndex). Start every member with the same member list, e.g.:
          tusk start --id 1 --listen 127.0.0.1:7001 --peers 2=127.0.0.1:7002,3=127.0.0.1:7003 --data n1
        and use `tusk kv put|get|cas|delete --cluster 1=127.0.0.1:7001,...` and `tusk cluster status`.

        Options:
          --data DIR                  data directory (default ./tusk-data; created when missing)
          --kafka HOST:PORT|off       Kafka listener (default 127.0.0.1:9092; off disables it)
          --kafka-advertised-host H   host name given to clients in metadata (default: the listen address,
                                      or 127.0.0.1 when listening on 0.0.0.0)
          --stats-interval SECONDS    seconds between statistics lines (default 10)

        PostgreSQL options:
          --pg HOST:PORT|off          PostgreSQL listener (default 127.0.0.1:5433; off disables it)
          --pg-users FILE             require SCRAM-SHA-256 passwords; FILE has one user:password per line
                                      (# comments); without it every user is trusted
          --pg-cert FILE.pfx          offer TLS with this PKCS#12 certificate (SSLRequest answered 'S')
          --pg-cert-password PASS     the certificate file's password
          --pg-max-connections N      clients served at once (default 100); more get 53300
          --autovacuum-naptime SECONDS  seconds between autovacuum passes, which remove row versions no
                                      transaction can see (default 60; 0 turns autovacuum off)

        Cluster node options:
          --id N                      this node's id (a positive integer, unique in the cluster)
          --listen HOST:PORT          address for peers and clients
          --peers ID=HOST:PORT,...    the other members
          --tick-ms MS                Raft tick (default 100); heartbeats every tick
          --election-ticks N          election timeout in ticks (default 10, randomized up to 2x)
          --snapshot-entries N        snapshot the state machine and compact the Raft log every N applied
                                      entries (default 50000)
        """;

    public const string Kv = """
        Usage: tusk kv <command> [args] [--data DIR]

        Reads and writes the storage engine directly (the data directory must not be in use by
        `tusk start`). Keys and values are UTF-8 strings; write 0x-prefixed hex (0x00ff) for binary.
        Output escapes non-printable bytes (\xNN, \t, \n, \\); --hex prints 0x-prefixed hex instead.

        Commands:
          put KEY VALUE [--sync]          set KEY to VALUE (--sync: fsync the WAL before returning)
          get KEY [--hex]                 print the value of KEY; exit 1 with "not found" when absent
          delete KEY [--sync]             delete KEY
          delete-range BEGIN END [--sync] delete every key in [BEGIN, END)
          scan [--from K] [--to K] [--limit N] [--reverse] [--hex]
                                          print key<TAB>value lines for keys in [from, to)
          stats                           print the engine's statistics (levels, amplification, stalls)
          compact                         compact the whole key space and wait for it
          fill --count N [--sync] [--value-size B] [--start K]
                                          write key-000000001... one Put each, printing "ack KEY VALUE"
                                          after each Put returns (used by the crash tests)

        Common options:
          --data DIR                      data directory (default ./tusk-data)
        Run `tusk kv <command> --help` for details.
        """;

    public const string KvPut = """
        Usage: tusk kv put KEY VALUE [--sync] [--data DIR]

        Sets KEY to VALUE. Without --sync the write survives a crash of this process once the command
        returns; with --sync the write-ahead log is fsynced first, so it also survives a power failure.
        KEY and VALUE are UTF-8 text, or 0x-prefixed hex for binary (0x00ff).
        """;

    public const string KvGet = """
        Usage: tusk kv get KEY [--hex] [--data DIR]

        Prints the value of KEY followed by a newline. Exits 1 and prints "not found" on stderr when the
        key is absent. Non-printable bytes are escaped (\xNN); --hex prints 0x-prefixed hex.
        """;

    public const string KvDelete = """
        Usage: tusk kv delete KEY [--sync] [--data DIR]

        Deletes KEY (no error when it is absent).
        """;

    public const string KvDeleteRange = """
        Usage: tusk kv delete-range BEGIN END [--sync] [--data DIR]

        Deletes every key k with BEGIN <= k < END (bytewise order). BEGIN must sort before END.
        """;

    public const string KvScan = """
        Usage: tusk kv scan [--from K] [--to K] [--limit N] [--reverse] [--hex] [--data DIR]

        Prints key<TAB>value lines, in key order, for keys k with from <= k < to (both bounds optional).
        --reverse walks from the largest key down; --limit stops after N lines. Tabs, newlines, backslashes
        and non-printable bytes are escaped, so each entry is one line; --hex prints 0x-prefixed hex.
        """;

    public const string KvStats = """
        Usage: tusk kv stats [--data DIR]

        Prints the engine's statistics: files and bytes per level, bytes written by the WAL, flushes and
        compactions, write and space amplification, write stalls.
        """;

    public const string KvCompact = """
        Usage: tusk kv compact [--data DIR]

        Compacts the whole key space (drops overwritten and deleted entries) and waits for it to finish.
        """;

    public const string KvFill = """
        Usage: tusk kv fill --count N [--sync] [--value-size B] [--start K] [--data DIR]

        Writes keys key-000000001, key-000000002, ... (starting at --start, default 1), one Put per key.
        After each Put returns it prints "ack KEY VALUE" and flushes stdout, so a parent process knows
        exactly which writes were acknowledged. VALUE is the value itself when it is at most 64 bytes,
        else "sha256:" and the hex SHA-256 of the value. Values are printable, derived from the key number.

        Options:
          --count N        number of keys to write (required)
          --sync           fsync the WAL before each Put returns
          --value-size B   bytes per value (default 32)
          --start K        first key number (default 1)
        """;

    public const string Topic = """
        Usage: tusk topic <command> [args] [--bootstrap HOST:PORT] [--timeout SECONDS]

        Administers the topics of a running broker (`tusk start`, or any Kafka broker) over the Kafka
        protocol, like kafka-topics.sh.

        Commands:
          create NAME [--partitions N] [--config K=V ...]
                                          create a topic (default: the broker's partition count)
          list [--json]                   print every topic and its partition count
          describe NAME [--json]          print the partitions (leader, log start and end offsets,
                                          messages) and the configs (value, and where it comes from)
          delete NAME                     delete a topic and its data

        Common options:
          --bootstrap HOST:PORT           the broker (default 127.0.0.1:9092)
          --timeout SECONDS               limit on connecting and on each request (default 30)
        Run `tusk topic <command> --help` for details. Exit 1 when the broker cannot be reached or
        refuses (its error and message are printed); exit 2 for bad usage.
        """;

    public const string TopicCreate = """
        Usage: tusk topic create NAME [--partitions N] [--config K=V ...] [--bootstrap HOST:PORT]

        Creates topic NAME with N partitions (default: the broker's default, 1 for `tusk start`) and
        replication factor the broker's default. Each --config sets one topic config (repeat it), e.g.
        --config retention.ms=86400000 --config cleanup.policy=compact. Exits 1 with the broker's error
        and message when it refuses (TOPIC_ALREADY_EXISTS, INVALID_CONFIG, INVALID_PARTITIONS, ...).
        """;

    public const string TopicList = """
        Usage: tusk topic list [--json] [--bootstrap HOST:PORT]

        Prints a NAME PARTITIONS table of every topic, sorted by name ("no topics" when there are none).
        --json prints [{"name": ..., "partitions": N}, ...] instead.
        """;

    public const string TopicDescribe = """
        Usage: tusk topic describe NAME [--json] [--bootstrap HOST:PORT]

        Prints the topic's partitions: PARTITION, LEADER (broker id), REPLICAS, ISR, LOG-START (earliest
        offset), LOG-END (the next offset to be written: the high watermark) and MESSAGES (LOG-END minus
        LOG-START); then its configs: CONFIG, VALUE and SOURCE ("default" for the built-in default,
        "topic" for a value set on the topic, "broker" or "cluster" for broker-wide settings).
        Exits 1 with "topic 'NAME' does not exist" when there is no such topic.
        """;

    public const string TopicDelete = """
        Usage: tusk topic delete NAME [--bootstrap HOST:PORT]

        Deletes topic NAME and all its messages. Exits 1 when the topic does not exist.
        """;

    public const string Group = """
        Usage: tusk group <command> [args] [--bootstrap HOST:PORT] [--timeout SECONDS]

        Shows the consumer groups of a running broker over the Kafka protocol, like
        kafka-consumer-groups.sh.

        Commands:
          list [--json]                   print every group and its protocol type
          describe GROUP [--json]         print the group's state and members, and per partition the
                                          committed offset, the log end offset and the lag

        Common options:
          --bootstrap HOST:PORT           the broker (default 127.0.0.1:9092)
          --timeout SECONDS               limit on connecting and on each request (default 30)
        Run `tusk group <command> --help` for details.
        """;

    public const string GroupList = """
        Usage: tusk group list [--json] [--bootstrap HOST:PORT]

        Prints a GROUP PROTOCOL-TYPE table of every group the broker coordinates ("no groups" when there
        are none). A group stays listed while it has members or committed offsets.
        """;

    public const string GroupDescribe = """
        Usage: tusk group describe GROUP [--json] [--bootstrap HOST:PORT]

        Prints the group's state (Stable, Empty, PreparingRebalance, CompletingRebalance), protocol type,
        protocol and members (MEMBER-ID, CLIENT-ID, HOST, ASSIGNMENT); then, for every partition the group
        has committed an offset for or is assigned: TOPIC, PARTITION, COMMITTED (the committed offset: the
        next message the group will read), LOG-END (the partition's log end offset) and LAG (LOG-END minus
        COMMITTED). A value the broker does not know is printed as "-". Exits 1 with
        "group 'GROUP' does not exist" when the broker knows nothing of the group.
        """;

    public const string Bench = """
        Usage: tusk bench storage [db_bench flags]
               tusk bench raft --target tusk|etcd --endpoints H:P,... [options]
               tusk bench kafka-produce --topic T [options]

        Benchmarks. Run `tusk bench storage --help`, `tusk bench raft --help` or
        `tusk bench kafka-produce --help` for the flags.
        """;

    public const string BenchKafkaProduce = """
        Usage: tusk bench kafka-produce --bootstrap HOST:PORT --topic T [options]

        A lean Kafka produce load generator (bench/log-throughput.sh's -lean lines): it speaks the protocol
        itself over raw sockets and encodes one record batch (v2, no producer id, no compression, null keys,
        a fixed payload) per partition once, before the clock starts, then re-sends it; the broker assigns
        the offsets. So the client spends little CPU and the figure is the broker's own throughput. Each
        connection keeps up to --in-flight Produce requests outstanding, one partition per request, its
        partitions round-robin (connection c serves partitions p with p % C == c). Every response's error
        codes are checked: any error fails the run (exit 1). Creates the topic when it does not exist; at
        the end the partitions' log end offsets must have grown by exactly the messages sent.
        Prints MiB/s of payload and messages/s from the first send to the last acknowledgement, its own
        CPU time, and a last line
        `KAFKABENCH messages=.. seconds=.. mib_per_s=.. msgs_per_s=.. client_cpu_s=.. errors=0`.

        Options:
          --bootstrap H:P       the broker (default 127.0.0.1:9092)
          --topic NAME          the topic (required; created with --partitions when missing)
          --partitions N        partitions written (0..N-1; default 1)
          --connections C       TCP connections (default 1)
          --message-bytes B     payload per message (default 1024)
          --batch-bytes X       record batch size: as many messages as fit in X bytes (default 1000000)
          --total-bytes Y       payload to send, e.g. 1000000, 512m, 2g (default 1g); rounded up to
                                whole messages
          --messages N          messages to send (instead of --total-bytes)
          --acks -1|1           acks (default -1: acknowledged once durable when the topic fsyncs
                                every batch)
          --in-flight K         requests outstanding per connection (default 8; the broker pipelines
                                up to 16 Produce requests and 16 MiB per connection)
          --timeout SECONDS     limit on the whole run (default 600)
        """;

    public const string BenchRaft = """
        Usage: tusk bench raft --target tusk|etcd --endpoints HOST:PORT,... [options]

        Closed-loop write load on a replicated key-value cluster, Tusk's (`tusk start --id ...`) or etcd's,
        measured with the same code (bench/raft-vs-etcd.sh). Each client task puts a unique random key with
        a random value, waits for the answer, and puts the next (no rate limit): the profile of
        `etcdctl check perf --load=l`. Puts answered after the warm-up and within the duration count;
        prints writes/s, latency percentiles (ms), errors, the generator's own CPU, and a last line
        `RAFTBENCH target=.. writes_per_s=.. p50_ms=.. p99_ms=.. p999_ms=.. max_ms=.. errors=..`.

        Options:
          --target tusk|etcd    the system: tusk (RaftKvClient, follows the leader) or etcd (v3 API)
          --endpoints H:P,...   the members' client addresses (tusk: the --listen addresses; etcd: the
                                client URLs' host:port); ID=H:P and http://H:P are accepted too
          --clients N           concurrent client tasks (default 500)
          --duration SECONDS    measured time (default 30)
          --warmup SECONDS      load before the measured time, not counted (default 5)
          --key-size BYTES      key length (default 256)
          --value-size BYTES    value length (default 1024)
          --etcd-api grpc|json  etcd only: grpc = KV/Put over cleartext HTTP/2, as etcdctl sends it;
                                json = the gRPC gateway's POST /v3/kv/put over HTTP/1.1 (default grpc)
          --connections N       etcd json only: HTTP connections per member (default --clients)
          --timeout SECONDS     per request, retries included (default 10)
          --progress SECONDS    print the rate every this many seconds; 0: never (default 5)
          --seed N              random seed for keys and values; 0 picks one (default 0)
        """;

    public const string BenchStorage = """
        Usage: tusk bench storage [--flag=value ...]

        Measures the storage engine with RocksDB db_bench's workloads, flags and output format, so the two
        can be run side by side (bench/storage-vs-rocksdb.sh). Only the operations are timed, not opening
        or closing the database; a write benchmark does not wait for compaction at its end.

        Flags (spelled as db_bench spells them; --flag=value or --flag value):
          --benchmarks=LIST     comma list, run in order (default fillseq,fillrandom,overwrite,readrandom,
                                readseq,seekrandom):
                                  fillseq     write keys 0..num-1 in order (fresh database)
                                  fillrandom  write num keys drawn uniformly with replacement (fresh database)
                                  overwrite   as fillrandom, into the existing database
                                  readrandom  num point reads of random keys; counts those found
                                  readseq     iterate from the first key (at most num entries)
                                  seekrandom  num seeks to random keys; found = lands exactly on the key
          --num=N               operations per thread (default 1000000)
          --key_size=N          key bytes, at least 8 (default 16): 8-byte big-endian key number, then '0's
          --value_size=N        value bytes, random (default 100)
          --sync=0|1            fsync the WAL before each write returns (default 0)
          --use_existing_db=0|1 open the existing database instead of starting fresh (default 0); fresh
                                benchmarks (fillseq, fillrandom) are skipped
          --db=DIR              database directory (default /tmp/tusk-bench)
          --threads=N           threads, each doing num operations; results aggregated (default 1)
          --histogram=0|1       print latency percentiles in microseconds (default 0)
          --cache_size=BYTES    block cache (default 8388608)
          --write_buffer_size=BYTES memtable size (default: the engine's, 64 MiB)
          --seed=N              random seed; 0 picks one from the clock (default 0)
          --warmup_ms=MS        JIT warm-up on a scratch database before the first benchmark,
                                not measured (default 1000; 0 disables; db_bench needs none: it is
                                compiled ahead of time)
          --compression_type=none accepted for db_bench compatibility; Tusk does not compress

        A fresh run deletes --db only when it is empty or was created by tusk bench (marker file
        .tusk-bench); it refuses to delete any other directory.
        """;

    /// <summary>The help text for <c>tusk kv SUBCOMMAND</c>, or null for an unknown subcommand.</summary>
    public static string? ForKv(string subcommand) => subcommand switch
    {
        "put" => KvPut,
        "get" => KvGet,
        "delete" => KvDelete,
        "delete-range" => KvDeleteRange,
        "scan" => KvScan,
        "stats" => KvStats,
        "compact" => KvCompact,
        "fill" => KvFill,
        _ => null,
    };

    /// <summary>The help text for <c>tusk topic SUBCOMMAND</c>, or null for an unknown subcommand.</summary>
    public static string? ForTopic(string subcommand) => subcommand switch
    {
        "create" => TopicCreate,
        "list" => TopicList,
        "describe" => TopicDescribe,
        "delete" => TopicDelete,
        _ => null,
    };

    /// <summary>The help text for <c>tusk group SUBCOMMAND</c>, or null for an unknown subcommand.</summary>
    public static string? ForGroup(string subcommand) => subcommand switch
    {
        "list" => GroupList,
        "describe" => GroupDescribe,
        _ => null,
    };
}
