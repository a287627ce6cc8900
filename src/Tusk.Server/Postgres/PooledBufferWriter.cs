using System.Buffers;
using Tusk.Core;

namespace Tusk.Server.Postgres;

/// <summary>
/// A growable output buffer rented from <see cref="ArrayPool{T}"/>: a connection writes messages into it and sends
/// <see cref="WrittenMemory"/> to the socket. After a send, <see cref="Reset"/> keeps the array unless it grew past
/// <see cref="RetainedBytesMax"/> (one huge result must not pin its memory to an idle connection). Not thread-safe.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    public const int InitialBytes = 16 << 10;
    public const int RetainedBytesMax = 1 << 20;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBytes);

    // Invariant: 0 <= _written <= _buffer.Length.
    private int _written;

    public int WrittenCount => _written;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public void Advance(int count)
    {
        Invariant.Check(count >= 0 && _written + count <= _buffer.Length, "Advance past the buffer");
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Forgets what was written (after it was sent).</summary>
    public void Reset()
    {
        _written = 0;
        if (_buffer.Length > RetainedBytesMax)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(InitialBytes);
        }
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed) return;
        var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(2L * _buffer.Length, (long)_written + needed)));
        _buffer.AsSpan(0, _written).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _written = 0;
    }
}
