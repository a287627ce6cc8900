namespace Tusk.Kv;

/// <summary>A key and its value, as returned by a scan. The arrays belong to the caller.</summary>
public readonly record struct KvPair(byte[] Key, byte[] Value);
