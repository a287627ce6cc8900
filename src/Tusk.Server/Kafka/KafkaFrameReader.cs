using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Tusk.Protocols.Kafka;

namespace Tusk.Server.Kafka;

/// <summary>
/// Reads length-prefixed Kafka request frames from a socket, each into its own pooled array. Small frames are
/// cut out of a read-ahead buffer (many per receive); the part of a large frame (a produce request of a megabyte)
/// that has not arrived yet is received straight into the frame's array, so its bytes are copied once, by the
/// kernel, instead of into a buffer first and then out of it. Not thread-safe: one reader per connection.
/// </summary>
internal sealed class KafkaFrameReader : IDisposable
{
    /// <summary>Read-ahead buffer: one receive takes up to this many bytes of small requests.</summary>
    public const int ReadAheadBytes = 64 << 10;

    /// <summary>
    /// A frame's array starts at most this large (a produce request of max.message.bytes fits) and doubles as
    /// more of the frame arrives.
    /// </summary>
    public const int FrameBytesFirst = 2 << 20;

    private readonly Socket _socket;
    private readonly int _frameBytesMax;
    private readonly string _remote;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(ReadAheadBytes);
    private int _start; // first unread byte of _buffer
    private int _end;   // end of the received bytes in _buffer

    public KafkaFrameReader(Socket socket, int frameBytesMax, string remote)
    {
        _socket = socket;
        _frameBytesMax = frameBytesMax;
        _remote = remote;
    }

    /// <summary>
    /// The next frame (without its size prefix) in a pooled array the caller returns to
    /// <see cref="ArrayPool{T}.Shared"/>; null when the client closed the connection between frames. Throws
    /// <see cref="KafkaProtocolException"/> for a size outside 8..frameBytesMax and <see cref="IOException"/>
    /// when the connection ends inside a frame.
    /// </summary>
    public async ValueTask<(byte[] Buffer, int Length)?> ReadAsync(CancellationToken cancellationToken)
    {
        if (!await FillAsync(4, cancellationToken).ConfigureAwait(false))
        {
            if (_end > _start)
            {
                throw new IOException($"connection from {_remote} closed inside a frame's size");
            }
            return null;
        }
        int size = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start, 4));
        if (size < 8 || size > _frameBytesMax)
        {
            throw new KafkaProtocolException($"request frame of {size} bytes from {_remote} (allowed: 8..{_frameBytesMax})");
        }
        _start += 4;
        // The array grows with the bytes that actually arrive: a client that announces a large frame and then
        // stalls holds at most FrameBytesFirst, not the size it announced.
        byte[] frame = ArrayPool<byte>.Shared.Rent(Math.Min(size, FrameBytesFirst));
        try
        {
            int have = Math.Min(size, _end - _start);
            _buffer.AsSpan(_start, have).CopyTo(frame);
            _start += have;
            if (have < size && size - have < ReadAheadBytes / 2)
            {
                // A small remainder: read ahead (the next frames usually follow) and copy it out.
                if (!await FillAsync(size - have, cancellationToken).ConfigureAwait(false))
                {
                    throw new IOException($"connection from {_remote} closed inside a {size}-byte frame");
                }
                _buffer.AsSpan(_start, size - have).CopyTo(frame.AsSpan(have));
                _start += size - have;
                have = size;
            }
            while (have < size)
            {
                if (have == frame.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(size, 2L * frame.Length));
                    frame.AsSpan(0, have).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(frame);
                    frame = larger;
                }
                // A large remainder goes straight into the frame.
                int n = await _socket.ReceiveAsync(frame.AsMemory(have, Math.Min(size, frame.Length) - have), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new IOException($"connection from {_remote} closed inside a {size}-byte frame");
                }
                have += n;
            }
            return (frame, size);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(frame);
            throw;
        }
    }

    /// <summary>Receives until at least <paramref name="count"/> (≤ half the buffer) bytes are buffered; false at end of stream.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return true;
        }
        if (_start > 0)
        {
            // Compact: the unread tail moves to the front (at most `count` bytes, since fewer are buffered).
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        while (_end < count)
        {
            int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }
            _end += n;
        }
        return true;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
