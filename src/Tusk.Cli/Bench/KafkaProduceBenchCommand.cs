using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tusk.Cli.Commands;
using Tusk.Cli.Kafka;
using Tusk.Protocols.Kafka;

namespace Tusk.Cli.Bench;

/// <summary>
/// <c>tusk bench kafka-produce</c>: a lean Kafka produce load generator (bench/log-throughput.sh's "-lean" lines).
/// It speaks the protocol itself over raw sockets: per partition, ONE record batch (v2, no producer id, no
/// compression, null keys, a fixed payload) is encoded, CRC'd and wrapped in a Produce request frame once, before
/// the clock starts; the run re-sends those frames (only the correlation id is patched), so the client spends
/// almost no CPU per message and the broker assigns the offsets. Each of <c>--connections</c> sockets keeps up to
/// <c>--in-flight</c> requests outstanding (the broker pipelines up to 16 Produce requests and 16 MiB per connection) and
/// serves its own partitions round-robin, one partition per request. Every response is read and every partition
/// error code checked: any error fails the run. Throughput counts payload bytes (messages x --message-bytes) from
/// the first send to the last acknowledgement; the generator's own CPU time over that window is reported too.
/// Afterwards the partitions' log end offsets (ListOffsets) must have grown by exactly the messages sent.
/// </summary>
internal static class KafkaProduceBenchCommand
{
    private static readonly string[] _valueOptions =
        ["bootstrap", "topic", "partitions", "connections", "message-bytes", "batch-bytes", "total-bytes", "messages", "acks", "in-flight", "timeout"];

    /// <summary>A produce request ready to send: its frame and how many messages it carries.</summary>
    private sealed record Frame(int Partition, byte[] Bytes, int Messages);

    public static int Run(string[] args, TextWriter stdout)
    {
        string usage = HelpText.BenchKafkaProduce;
        Arguments a = Arguments.Parse(args, usage, _valueOptions);
        if (a.HelpRequested)
        {
            stdout.WriteLine(usage.TrimEnd());
            return ExitCodes.Ok;
        }
        a.RequirePositionals(0, "no positional arguments");
        var (host, port) = KafkaAdminOptions.ParseHostPort(a.Value("bootstrap", KafkaAdminOptions.DefaultBootstrap), usage);
        string topic = a.Value("topic") ?? throw new UsageException("--topic NAME is required", usage);
        int partitions = (int)a.Integer("partitions", 1, 1, 100_000);
        int connections = (int)a.Integer("connections", 1, 1, 1024);
        int messageBytes = (int)a.Integer("message-bytes", 1024, 0, 16 << 20);
        int batchBytes = (int)a.Integer("batch-bytes", 1_000_000, 64, 64 << 20);
        long totalMessages;
        if (a.Value("messages") != null)
        {
            if (a.Value("total-bytes") != null) throw new UsageException("give --total-bytes or --messages, not both", usage);
            totalMessages = a.Integer("messages", 1, 1, long.MaxValue / 2);
        }
        else
        {
            long totalBytes = ByteSize(a.Value("total-bytes", "1g"), usage);
            totalMessages = Math.Max(1, (totalBytes + Math.Max(messageBytes, 1) - 1) / Math.Max(messageBytes, 1));
        }
        short acks = (short)a.Integer("acks", -1, -1, 1);
        if (acks == 0) throw new UsageException("--acks 0 has no response to time; use -1 or 1", usage);
        int inFlight = (int)a.Integer("in-flight", 8, 1, 1024);
        var timeout = TimeSpan.FromSeconds(a.Integer("timeout", 600, 1, 24 * 3600));

        // Setup (not timed): versions, the topic, the frames, the connections, the log end offsets before.
        short version;
        Dictionary<(string, int), long?> before;
        var keys = Enumerable.Range(0, partitions).Select(p => (topic, p)).ToList();
        using (KafkaAdminClient admin = KafkaAdminClient.Connect(host, port, TimeSpan.FromSeconds(30)))
        {
            version = admin.VersionOf(ApiKey.Produce);
            var created = admin.CreateTopic(topic, partitions, []);
            if (created.ErrorCode is not (ErrorCode.None or ErrorCode.TopicAlreadyExists))
            {
                throw new CliException($"cannot create topic '{topic}': {KafkaErrors.Describe(created.ErrorCode, created.ErrorMessage)}");
            }
            before = admin.ListOffsets(keys, ListOffsetsRequest.LatestTimestamp);
            foreach (var key in keys)
            {
                if (!before.TryGetValue(key, out long? o) || o == null)
                {
                    throw new CliException($"topic '{topic}' has no partition {key.p} (does it have fewer than {partitions} partitions?)");
                }
            }
        }

        byte[] payload = new byte[messageBytes];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)('a' + i % 26);
        int perBatch = MessagesPerBatch(messageBytes, batchBytes, payload);
        long fullBatches = totalMessages / perBatch;
        int lastMessages = (int)(totalMessages % perBatch);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var full = new byte[partitions][];
        var partial = new byte[partitions][];
        for (int p = 0; p < partitions; p++)
        {
            full[p] = EncodeRequest(topic, p, acks, timeout, version, EncodeBatch(perBatch, payload, now));
            if (lastMessages > 0) partial[p] = EncodeRequest(topic, p, acks, timeout, version, EncodeBatch(lastMessages, payload, now));
        }
        long totalRequests = fullBatches + (lastMessages > 0 ? 1 : 0);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tusk bench kafka-produce: {KafkaAdminClient.FormatAddress(host, port)} topic={topic} partitions={partitions} connections={connections} in-flight={inFlight} acks={acks} produce v{version}"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{totalMessages} messages of {messageBytes} B in {totalRequests} requests; {perBatch} messages per batch ({full[0].Length} B per request)"));
        stdout.Flush();

        var sockets = new List<Socket>();
        try
        {
            for (int c = 0; c < connections; c++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                sockets.Add(s);
                var ip = IPAddress.TryParse(host, out var literal) ? literal : Dns.GetHostAddresses(host).First(x => x.AddressFamily == AddressFamily.InterNetwork);
                s.Connect(new IPEndPoint(ip, port));
            }
            var fullOf = new byte[connections][][];
            var partialOf = new byte[connections][][];
            for (int c = 0; c < connections; c++)
            {
                fullOf[c] = new byte[partitions][];
                partialOf[c] = new byte[partitions][];
            }
            long next = -1; // the last request index taken (shared by the connections)
            Frame? Take(int connection)
            {
                long index = Interlocked.Increment(ref next);
                if (index >= totalRequests) return null;
                // Partition of this request: the connection's partitions, round-robin (a connection owns p where p % C == c;
                // with more connections than partitions, connections share them).
                int owned = connections <= partitions ? (partitions - connection + connections - 1) / connections : 1;
                int k = (int)((index / connections) % owned);
                int p = connections <= partitions ? connection + k * connections : connection % partitions;
                bool last = lastMessages > 0 && index == totalRequests - 1;
                // Each connection patches correlation ids into its own copies of the frames.
                var mine = last ? partialOf[connection] : fullOf[connection];
                return new Frame(p, mine[p] ??= (last ? partial[p] : full[p]).ToArray(), last ? lastMessages : perBatch);
            }

            using var deadline = new CancellationTokenSource(timeout);
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            var tasks = new Task<long>[connections];
            for (int c = 0; c < connections; c++)
            {
                int connection = c;
                tasks[c] = Task.Run(() => RunConnection(sockets[connection], () => Take(connection), inFlight, version, connection, deadline.Token));
            }
            long acknowledged;
            try
            {
                acknowledged = Task.WhenAll(tasks).GetAwaiter().GetResult().Sum();
            }
            catch (OperationCanceledException e)
            {
                throw new CliException($"the run did not finish within --timeout {timeout.TotalSeconds:F0} s", e);
            }
            long t1 = Stopwatch.GetTimestamp();
            var cpu1 = Process.GetCurrentProcess().TotalProcessorTime;
            double seconds = (t1 - t0) / (double)Stopwatch.Frequency;

            Dictionary<(string, int), long?> after;
            using (KafkaAdminClient admin = KafkaAdminClient.Connect(host, port, TimeSpan.FromSeconds(30)))
            {
                after = admin.ListOffsets(keys, ListOffsetsRequest.LatestTimestamp);
            }
            long added = keys.Sum(k => (after.GetValueOrDefault(k) ?? 0) - (before[k] ?? 0));
            if (acknowledged != totalMessages)
            {
                throw new CliException($"{acknowledged} messages acknowledged, {totalMessages} sent");
            }
            if (added != totalMessages)
            {
                throw new CliException($"the partitions' log end offsets grew by {added}, but {totalMessages} messages were acknowledged");
            }
            double mib = totalMessages * (double)messageBytes / (1 << 20);
            double cpu = (cpu1 - cpu0).TotalSeconds;
            var inv = CultureInfo.InvariantCulture;
            stdout.WriteLine(string.Create(inv, $"produced {totalMessages} messages ({mib:F1} MiB of payload) in {seconds:F3} s: {mib / seconds:F1} MiB/s, {totalMessages / seconds:F0} messages/s; log end offsets +{added}"));
            stdout.WriteLine(string.Create(inv, $"load generator CPU: {cpu:F2} s ({cpu / seconds:F2} cores)"));
            stdout.WriteLine(string.Create(inv,
                $"KAFKABENCH messages={totalMessages} seconds={seconds:F3} mib_per_s={mib / seconds:F1} msgs_per_s={totalMessages / seconds:F0} client_cpu_s={cpu:F2} errors=0"));
            stdout.Flush();
        }
        catch (SocketException e)
        {
            throw new CliException($"connection to the broker at {KafkaAdminClient.FormatAddress(host, port)} failed: {e.Message}", e);
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
        return ExitCodes.Ok;
    }

    /// <summary>
    /// One connection's loop: sends requests while fewer than <paramref name="inFlight"/> are outstanding, reads
    /// the responses in order (the broker answers in request order), checks each; returns the messages acknowledged.
    /// </summary>
    private static async Task<long> RunConnection(Socket socket, Func<Frame?> take, int inFlight, short version, int connection, CancellationToken cancel)
    {
        var outstanding = new Queue<(int CorrelationId, Frame Frame)>();
        var slots = new SemaphoreSlim(inFlight, inFlight);
        var sent = new SemaphoreSlim(0); // one release per request sent, and one more at the end
        int correlation = connection << 24;
        long acknowledged = 0;
        var reader = Task.Run(async () =>
        {
            var header = new byte[4];
            var body = new byte[4096];
            while (true)
            {
                await sent.WaitAsync(cancel).ConfigureAwait(false);
                (int CorrelationId, Frame Frame) expected;
                lock (outstanding)
                {
                    if (outstanding.Count == 0) return; // the end marker
                    expected = outstanding.Peek();
                }
                await ReadRest(socket, header, 0, cancel).ConfigureAwait(false);
                int length = BinaryPrimitives.ReadInt32BigEndian(header);
                if (length < 4 || length > 1 << 24) throw new CliException($"response frame of {length} bytes");
                if (body.Length < length) body = new byte[length];
                await ReadRest(socket, body.AsMemory(0, length), 0, cancel).ConfigureAwait(false);
                CheckResponse(body.AsSpan(0, length), version, expected.CorrelationId, expected.Frame.Partition);
                lock (outstanding) outstanding.Dequeue();
                acknowledged += expected.Frame.Messages;
                slots.Release();
            }
        }, cancel);
        try
        {
            while (true)
            {
                var slot = slots.WaitAsync(cancel);
                if (await Task.WhenAny(slot, reader).ConfigureAwait(false) == reader) break; // failed: surface its exception below
                await slot.ConfigureAwait(false);
                Frame? frame = take();
                if (frame == null) break;
                int id = ++correlation;
                BinaryPrimitives.WriteInt32BigEndian(frame.Bytes.AsSpan(8), id); // size, api key, version, correlation id
                lock (outstanding) outstanding.Enqueue((id, frame));
                for (int n = 0; n < frame.Bytes.Length;)
                {
                    n += await socket.SendAsync(frame.Bytes.AsMemory(n), cancel).ConfigureAwait(false);
                }
                sent.Release();
            }
        }
        finally
        {
            sent.Release(); // the end marker: the reader stops once the queue is empty
        }
        await reader.ConfigureAwait(false);
        return acknowledged;
    }

    private static async ValueTask<int> ReadRest(Socket socket, Memory<byte> buffer, int have, CancellationToken cancel)
    {
        while (have < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer[have..], cancel).ConfigureAwait(false);
            if (n == 0) throw new CliException("the broker closed the connection");
            have += n;
        }
        return have;
    }

    private static void CheckResponse(ReadOnlySpan<byte> frame, short version, int correlationId, int partition)
    {
        var r = new KafkaReader(frame);
        int answered = r.ReadInt32();
        if (answered != correlationId)
        {
            throw new CliException($"the broker answered correlation id {answered}, expected {correlationId}");
        }
        var response = ProduceResponse.Read(ref r, version);
        int seen = 0;
        foreach (var t in response.Topics)
        {
            foreach (var p in t.Partitions)
            {
                seen++;
                if (p.ErrorCode != ErrorCode.None)
                {
                    throw new CliException($"produce to {t.Name}-{p.Index} failed: {KafkaErrors.Describe(p.ErrorCode, p.ErrorMessage)}");
                }
            }
        }
        if (seen != 1)
        {
            throw new CliException($"the produce response for partition {partition} names {seen} partitions, expected 1");
        }
    }

    /// <summary>How many messages fit in a batch of at most <paramref name="batchBytes"/> bytes (at least one).</summary>
    private static int MessagesPerBatch(int messageBytes, int batchBytes, byte[] payload)
    {
        var one = EncodeBatch(1, payload, 0).Length - RecordBatch.HeaderBytes;
        return Math.Max(1, (batchBytes - RecordBatch.HeaderBytes) / Math.Max(one + 4, 1)); // +4: larger offset/timestamp varints
    }

    private static byte[] EncodeBatch(int messages, byte[] payload, long timestampMs)
    {
        var builder = new RecordBatchBuilder(0, messages * (payload.Length + 16) + RecordBatch.HeaderBytes);
        for (int i = 0; i < messages; i++)
        {
            builder.Append(i, timestampMs, ReadOnlySpan<byte>.Empty, true, payload, false);
        }
        return builder.Build();
    }

    private static byte[] EncodeRequest(string topic, int partition, short acks, TimeSpan timeout, short version, byte[] batch)
    {
        var w = new KafkaWriter(batch.Length + 256);
        w.WriteInt16((short)ApiKey.Produce);
        w.WriteInt16(version);
        w.WriteInt32(0); // correlation id: patched per send
        w.WriteNullableString(KafkaAdminClient.ClientId);
        var request = new ProduceRequest
        {
            Acks = acks,
            TimeoutMs = (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds),
            Topics = [new ProduceRequestTopic { Name = topic, Partitions = [new ProduceRequestPartition { Index = partition, Records = batch }] }],
        };
        request.Write(w, version);
        return w.FinishFrame().ToArray();
    }

    /// <summary>Parses 123, 10k, 512m, 2g (powers of 1024).</summary>
    private static long ByteSize(string text, string usage)
    {
        string t = text.Trim().ToUpperInvariant();
        long multiplier = 1;
        if (t.EndsWith('B')) t = t[..^1];
        if (t.Length > 0 && "KMGT".Contains(t[^1], StringComparison.Ordinal))
        {
            multiplier = 1L << (10 * ("KMGT".IndexOf(t[^1], StringComparison.Ordinal) + 1));
            t = t[..^1];
        }
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0)
        {
            throw new UsageException($"--total-bytes={text}: expected a size such as 1000000, 512m or 2g", usage);
        }
        return checked(n * multiplier);
    }
}
