#!/usr/bin/python3
"""Kafka load generator for bench/log-throughput.sh (Debian's python3-confluent-kafka, i.e. librdkafka).

    kafka_load.py create  --bootstrap H:P --topic T --partitions N [--config k=v ...]
    kafka_load.py delete  --bootstrap H:P --topic T
    kafka_load.py produce --bootstrap H:P --topic T --messages N --size B [--producers K]
                          [--linger-ms MS] [--batch-bytes B] [--acks all|1|0]
    kafka_load.py consume --bootstrap H:P --topic T --size B [--consumers K] [--expect N]

produce: K processes (default 1) each send N/K messages of B bytes (no key, the same random payload,
compression none) with acks=all, linger.ms, batch.size and large client queues. Each process connects and
fetches the topic's metadata before the clock starts, then all start together (a barrier); the rate is
measured from the first produce() call of any process to the last delivery report of any process (flush()
returning; delivery reports are requested for failures only, so the client does no per-message callback).
Prints one line:
    produce messages=<acked> errors=<failed> bytes=<payload bytes> seconds=<s> msgs_per_s=<r> mib_per_s=<r>
            client_cpu_s=<user+system CPU seconds of the producer processes while they were producing>

consume: K processes (default 1; at most one per partition) each read their share of the partitions from the
beginning to the high watermark read before the clock starts (ListOffsets), with assign() (no group).
The clock starts before assign() and stops when the last process has reached the end of its partitions.
Prints one line:
    consume messages=<n> bytes=<payload bytes> seconds=<s> msgs_per_s=<r> mib_per_s=<r> client_cpu_s=<s>
(client_cpu_s: user+system CPU seconds of the consumer processes, all threads, between their start and end)

Exit code 1 when a message fails, a partition cannot be read to its end, or --expect does not match.
"""
import argparse
import multiprocessing as mp
import os
import resource
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

MIB = 1024 * 1024


def die(msg):
    print(f"kafka_load: error: {msg}", file=sys.stderr)
    sys.exit(1)


def admin_client(a):
    # log_level 4: hide librdkafka's informational "Purging unserved" line when the admin client is destroyed
    return AdminClient({"bootstrap.servers": a.bootstrap, "log_level": 4})


def cpu_s():
    """User + system CPU seconds of this process, all threads (librdkafka's included)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def cmd_create(a):
    admin = admin_client(a)
    config = dict(kv.split("=", 1) for kv in a.config)
    topic = NewTopic(a.topic, num_partitions=a.partitions, replication_factor=1, config=config)
    for name, fut in admin.create_topics([topic], operation_timeout=30).items():
        try:
            fut.result()
        except KafkaException as e:
            die(f"create topic {name}: {e}")
    # Wait until metadata shows every partition (creation is synchronous on Tusk, but be safe).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        md = admin.list_topics(a.topic, timeout=10).topics.get(a.topic)
        if md is not None and md.error is None and len(md.partitions) == a.partitions:
            return
        time.sleep(0.1)
    die(f"topic {a.topic} did not show {a.partitions} partitions in metadata")


def cmd_delete(a):
    admin = admin_client(a)
    for name, fut in admin.delete_topics([a.topic], operation_timeout=30).items():
        try:
            fut.result()
        except KafkaException as e:
            die(f"delete topic {name}: {e}")


def producer_config(a):
    return {
        "bootstrap.servers": a.bootstrap,
        "acks": a.acks,
        "linger.ms": a.linger_ms,
        "batch.size": a.batch_bytes,
        "batch.num.messages": 1000000,  # librdkafka's maximum, so that batch.size alone bounds a batch
        "message.max.bytes": max(1000000, a.batch_bytes),
        "compression.type": "none",
        "queue.buffering.max.messages": 10000000,
        "queue.buffering.max.kbytes": 2097151,
        "delivery.report.only.error": True,
        "enable.idempotence": False,
        "socket.send.buffer.bytes": 4 * MIB,
        "socket.receive.buffer.bytes": 4 * MIB,
    }


def run_worker(kind, a, share, barrier, results):
    """Runs a worker so that any failure reaches the parent (and releases the other workers from the barrier)."""
    try:
        {"produce": produce_worker, "consume": consume_worker}[kind](a, share, barrier, results)
    except threading.BrokenBarrierError:
        results.put(("error", "another worker failed before the start"))
    except Exception as e:  # report, do not leave the parent waiting
        barrier.abort()
        results.put(("error", f"{type(e).__name__}: {e}"))


def produce_worker(a, n, barrier, results):
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)

    conf = producer_config(a)
    conf["on_delivery"] = on_delivery
    p = Producer(conf)
    md = p.list_topics(a.topic, timeout=30).topics.get(a.topic)  # connects and caches metadata, untimed
    if md is None or md.error is not None or not md.partitions:
        barrier.abort()
        results.put(("error", f"topic {a.topic} not found: {md.error if md else 'no metadata'}"))
        return
    value = os.urandom(a.size)
    topic = a.topic
    produce = p.produce
    poll = p.poll
    barrier.wait()
    t0 = time.monotonic()
    c0 = cpu_s()
    for i in range(n):
        while True:
            try:
                produce(topic, value)
                break
            except BufferError:  # local queue full: let librdkafka drain it
                poll(0.005)
        if (i & 0xFFFF) == 0:
            poll(0)
    left = p.flush(600)  # returns once every message is acknowledged (or failed: on_delivery counted it)
    t1 = time.monotonic()
    cpu = cpu_s() - c0
    failed = len(errors) + left
    samples = [str(e) for e in errors[:3]]
    if left:
        samples.append(f"{left} messages still unacknowledged after flush(600)")
    results.put(("ok", t0, t1, n - failed, failed, samples, cpu))


def run_workers(ctx, kind, a, work, barrier):
    """Runs one worker process per item of `work`, started together through `barrier`; returns their results,
    or exits with the workers' errors."""
    results = ctx.Queue()
    procs = [ctx.Process(target=run_worker, args=(kind, a, w, barrier, results)) for w in work]
    for pr in procs:
        pr.start()
    got = [results.get(timeout=900) for _ in procs]
    for pr in procs:
        pr.join()
    bad = [g for g in got if g[0] != "ok"]
    if bad:
        die("; ".join(b[1] for b in bad))
    return got


def cmd_produce(a):
    k = a.producers
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(k)
    shares = [a.messages // k + (1 if i < a.messages % k else 0) for i in range(k)]
    got = run_workers(ctx, "produce", a, shares, barrier)
    t0 = min(g[1] for g in got)
    t1 = max(g[2] for g in got)
    acked = sum(g[3] for g in got)
    errs = sum(g[4] for g in got)
    secs = t1 - t0
    nbytes = acked * a.size
    print(f"produce messages={acked} errors={errs} bytes={nbytes} seconds={secs:.3f} "
          f"msgs_per_s={acked / secs:.0f} mib_per_s={nbytes / MIB / secs:.1f} client_cpu_s={sum(g[6] for g in got):.2f}", flush=True)
    if errs:
        samples = [s for g in got for s in g[5]]
        die(f"{errs} messages failed, e.g. {samples}")


def consumer_config(a):
    return {
        "bootstrap.servers": a.bootstrap,
        "group.id": "kafka-load-bench",  # required by the client; assign() below uses no group protocol
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
        "fetch.max.bytes": 50 * MIB,
        "max.partition.fetch.bytes": 8 * MIB,
        "queued.max.messages.kbytes": 262144,
        "queued.min.messages": 1000000,
        "fetch.wait.max.ms": 100,
        "socket.receive.buffer.bytes": 4 * MIB,
    }


def consume_worker(a, partitions, barrier, results):
    c = Consumer(consumer_config(a))
    ends = {}
    for p in partitions:
        low, high = c.get_watermark_offsets(TopicPartition(a.topic, p), timeout=30)  # connects, untimed
        ends[p] = (low, high)
    want = sum(h - l for l, h in ends.values())
    pending = {p for p, (l, h) in ends.items() if h > l}
    barrier.wait()
    t0 = time.monotonic()
    c0 = cpu_s()
    c.assign([TopicPartition(a.topic, p, ends[p][0]) for p in pending])
    n = 0
    idle_deadline = time.monotonic() + 60
    consume = c.consume
    while pending:
        msgs = consume(20000, 0.05)  # returns early once 20000 are queued; the timeout bounds the wait at the end
        if not msgs:
            if time.monotonic() > idle_deadline:
                results.put(("error", f"no progress for 60 s; partitions {sorted(pending)} not at their end"))
                c.close()
                return
            continue
        idle_deadline = time.monotonic() + 60
        errs = [m for m in msgs if m.error() is not None]
        n += len(msgs) - len(errs)
        for m in errs:
            if m.error().code() == KafkaError._PARTITION_EOF:
                if m.offset() >= ends[m.partition()][1]:
                    pending.discard(m.partition())
            else:
                results.put(("error", f"consume: {m.error()}"))
                c.close()
                return
    t1 = time.monotonic()
    cpu = cpu_s() - c0
    c.close()
    results.put(("ok", t0, t1, n, want, cpu))


def cmd_consume(a):
    admin = admin_client(a)
    md = admin.list_topics(a.topic, timeout=30).topics.get(a.topic)
    if md is None or md.error is not None:
        die(f"topic {a.topic} not found")
    parts = sorted(md.partitions)
    k = max(1, min(a.consumers, len(parts)))
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(k)
    got = run_workers(ctx, "consume", a, [parts[i::k] for i in range(k)], barrier)
    t0 = min(g[1] for g in got)
    t1 = max(g[2] for g in got)
    n = sum(g[3] for g in got)
    want = sum(g[4] for g in got)
    secs = t1 - t0
    nbytes = n * a.size
    print(f"consume messages={n} bytes={nbytes} seconds={secs:.3f} "
          f"msgs_per_s={n / secs:.0f} mib_per_s={nbytes / MIB / secs:.1f} client_cpu_s={sum(g[5] for g in got):.2f}", flush=True)
    if n != want:
        die(f"read {n} messages, the partitions held {want}")
    if a.expect is not None and n != a.expect:
        die(f"read {n} messages, expected {a.expect}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--bootstrap", required=True)
        p.add_argument("--topic", required=True)

    p = sub.add_parser("create"); common(p)
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--config", action="append", default=[], help="topic config k=v (repeatable)")
    p = sub.add_parser("delete"); common(p)
    p = sub.add_parser("produce"); common(p)
    p.add_argument("--messages", type=int, required=True)
    p.add_argument("--size", type=int, required=True, help="payload bytes per message")
    p.add_argument("--producers", type=int, default=1, help="producer processes")
    p.add_argument("--linger-ms", type=float, default=5)
    p.add_argument("--batch-bytes", type=int, default=1000000, help="batch.size")
    p.add_argument("--acks", default="all")
    p = sub.add_parser("consume"); common(p)
    p.add_argument("--size", type=int, required=True, help="payload bytes per message (for MiB/s)")
    p.add_argument("--consumers", type=int, default=1, help="consumer processes (at most one per partition)")
    p.add_argument("--expect", type=int, default=None, help="fail unless exactly this many messages are read")
    a = ap.parse_args()
    for name in ("messages", "size", "producers", "partitions", "consumers", "batch_bytes"):
        if getattr(a, name, 1) is not None and getattr(a, name, 1) < 1:
            die(f"--{name.replace('_', '-')} must be at least 1")
    {"create": cmd_create, "delete": cmd_delete, "produce": cmd_produce, "consume": cmd_consume}[a.cmd](a)


if __name__ == "__main__":
    main()
