namespace Tusk.Storage.Cache;

/// <summary>
/// Recycles the arrays behind data blocks so that reading blocks from disk does not allocate in steady
/// state (a 4 KiB array per block-cache miss otherwise costs gigabytes of garbage under random reads).
/// Arrays come in 1 KiB size classes up to <see cref="ClassCount"/> KiB; bigger ones are not pooled.
/// Retains at most <see cref="RetainedBytesMax"/> bytes. Thread-safe (one small lock per class).
/// </summary>
internal static class BlockBufferPool
{
    public const int ClassBytes = 1024;
    public const int ClassCount = 64;
    public const long RetainedBytesMax = 64L << 20;

    private static readonly Stack<byte[]>[] s_free = CreateClasses();
    private static long s_retainedBytes;

    private static Stack<byte[]>[] CreateClasses()
    {
        var classes = new Stack<byte[]>[ClassCount + 1];
        for (int i = 0; i < classes.Length; i++)
        {
            classes[i] = new Stack<byte[]>();
        }
        return classes;
    }

    /// <summary>An array of at least <paramref name="size"/> bytes (contents undefined).</summary>
    public static byte[] Rent(int size)
    {
        int cls = (size + ClassBytes - 1) / ClassBytes;
        if (cls > ClassCount)
        {
            return GC.AllocateUninitializedArray<byte>(size);
        }
        var stack = s_free[cls];
        lock (stack)
        {
            if (stack.TryPop(out var a))
            {
                Interlocked.Add(ref s_retainedBytes, -a.Length);
                return a;
            }
        }
        return GC.AllocateUninitializedArray<byte>(cls * ClassBytes);
    }

    /// <summary>Gives an array back (only arrays from <see cref="Rent"/>; never use it afterwards).</summary>
    public static void Return(byte[] array)
    {
        int cls = array.Length / ClassBytes;
        if (array.Length % ClassBytes != 0 || cls > ClassCount || cls == 0
            || Interlocked.Read(ref s_retainedBytes) + array.Length > RetainedBytesMax)
        {
            return;
        }
        var stack = s_free[cls];
        lock (stack)
        {
            stack.Push(array);
        }
        Interlocked.Add(ref s_retainedBytes, array.Length);
    }
}
