namespace Tusk.Core;

/// <summary>Helpers for reference counts that reach zero exactly once.</summary>
public static class RefCount
{
    /// <summary>
    /// Increments <paramref name="count"/> unless it is already zero (the object has been released);
    /// returns whether a reference was taken. Lock-free.
    /// </summary>
    public static bool TryIncrement(ref int count)
    {
        while (true)
        {
            int n = Volatile.Read(ref count);
            if (n <= 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref count, n + 1, n) == n)
            {
                return true;
            }
        }
    }
}
