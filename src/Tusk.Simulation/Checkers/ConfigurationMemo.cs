using Tusk.Core;

namespace Tusk.Simulation.Checkers;

/// <summary>
/// The memo of the linearizability search (Lowe's improvement to Wing &amp; Gong, extended for Unknown operations):
/// configurations from which the search has already failed. A configuration is (the set of Ok operations linearized,
/// the state, the set of Unknown operations placed). The memo keeps, per (Ok set, state), the Unknown sets that
/// failed, and <see cref="Covers"/> answers whether a configuration has a failed one with a subset of its Unknown
/// operations. That one can do everything this one can (an Unknown operation is always legal and can go last), so this
/// one fails too. With no Unknown operations this is exactly Lowe's memo.
///
/// <para>Keys live in an open-addressing table over key indexes, with their Ok sets in one arena; each key's Unknown
/// sets form a singly linked list of arena slices. The caller keeps an incremental Zobrist hash of its Ok set (XOR
/// of <see cref="OperationHash"/> per member), so a lookup touches the bitset only on a hash match. Memory is bounded
/// by <see cref="ArenaWordsMax"/>: once full, <see cref="Add"/> remembers nothing more, which keeps the search correct
/// (the memo only prunes) but slower; the caller's step budget bounds the time. Single-threaded.</para>
/// </summary>
internal sealed class ConfigurationMemo
{
    /// <summary>Largest total of bitset words kept (8 bytes each): 64 MiB, plus about half as much for the indexes.</summary>
    public const int ArenaWordsMax = 8 << 20;

    private const int InitialCapacity = 1024; // keys and sets; a power of two
    private const int None = -1;

    private readonly int _knownWords;
    private readonly int _unknownWords;

    // Slot -> key index + 1, 0 = empty. Invariant: length is a power of two, at least twice _keyCount.
    private int[] _slots = new int[InitialCapacity * 2];

    // Per key: combined hash (see Combine), state, first Unknown set (None when empty), Ok set at _keyBits[key * _knownWords ..].
    private ulong[] _keyHashes = new ulong[InitialCapacity];
    private int[] _keyStates = new int[InitialCapacity];
    private int[] _keyFirstSet = new int[InitialCapacity];
    private ulong[] _keyBits;
    private int _keyCount;

    // Per Unknown set: the next set of the same key (None ends), and its bits at _setBits[set * _unknownWords ..].
    private int[] _setNext = new int[InitialCapacity];
    private ulong[] _setBits;
    private int _setCount;

    private long _wordsUsed;

    public ConfigurationMemo(int knownWords, int unknownWords)
    {
        Invariant.Check(knownWords > 0 && unknownWords > 0, "ConfigurationMemo: bitsets need at least one word");
        _knownWords = knownWords;
        _unknownWords = unknownWords;
        _keyBits = new ulong[InitialCapacity * knownWords];
        _setBits = new ulong[InitialCapacity * unknownWords];
    }

    /// <summary>The Zobrist word of Ok operation <paramref name="index"/> (splitmix64's finalizer).</summary>
    public static ulong OperationHash(int index)
    {
        ulong z = (ulong)index + 0x9e3779b97f4a7c15UL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// The key of (<paramref name="known"/> with bit <paramref name="knownFlip"/> flipped (-1: none),
    /// <paramref name="state"/>), whose Ok set hashes to <paramref name="knownHash"/>; -1 if absent.
    /// </summary>
    public int Find(ulong[] known, int knownFlip, ulong knownHash, int state)
    {
        ulong hash = Combine(knownHash, state);
        int mask = _slots.Length - 1;
        for (int slot = (int)(hash >> 33) & mask; ; slot = (slot + 1) & mask)
        {
            int key = _slots[slot] - 1;
            if (key < 0)
            {
                return None;
            }
            if (_keyHashes[key] == hash && _keyStates[key] == state && SameKnown(key, known, knownFlip))
            {
                return key;
            }
        }
    }

    /// <summary>
    /// Whether a failed configuration of key <paramref name="key"/> placed a subset of <paramref name="unknown"/>
    /// (with bit <paramref name="unknownFlip"/> flipped, -1: none).
    /// </summary>
    public bool Covers(int key, ulong[] unknown, int unknownFlip)
    {
        for (int set = _keyFirstSet[key]; set != None; set = _setNext[set])
        {
            if (IsSubset(set, unknown, unknownFlip))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Remembers that the configuration (<paramref name="known"/>, <paramref name="state"/>, <paramref name="unknown"/>)
    /// failed. Drops the key's sets it covers (supersets of <paramref name="unknown"/>): they are redundant now.
    /// </summary>
    public void Add(ulong[] known, ulong knownHash, int state, ulong[] unknown)
    {
        if (_wordsUsed + _knownWords + _unknownWords > ArenaWordsMax)
        {
            return;
        }
        int key = Find(known, knownFlip: None, knownHash, state);
        if (key == None)
        {
            key = AddKey(known, Combine(knownHash, state), state);
        }
        DropSupersets(key, unknown);
        if (_setCount == _setNext.Length)
        {
            int capacity = Math.Min(_setCount * 2, ArenaWordsMax / _unknownWords + 1);
            Array.Resize(ref _setNext, capacity);
            Array.Resize(ref _setBits, capacity * _unknownWords);
        }
        int added = _setCount++;
        Array.Copy(unknown, 0, _setBits, added * _unknownWords, _unknownWords);
        _setNext[added] = _keyFirstSet[key];
        _keyFirstSet[key] = added;
        _wordsUsed += _unknownWords;
    }

    private static ulong Combine(ulong knownHash, int state)
    {
        ulong z = knownHash ^ ((ulong)(uint)state * 0xd6e8feb86659fd93UL);
        z = (z ^ (z >> 32)) * 0xd6e8feb86659fd93UL;
        return z ^ (z >> 32);
    }

    private bool SameKnown(int key, ulong[] known, int knownFlip)
    {
        int offset = key * _knownWords;
        for (int w = 0; w < _knownWords; w++)
        {
            ulong expected = w == knownFlip >> 6 && knownFlip >= 0 ? known[w] ^ (1UL << knownFlip) : known[w];
            if (_keyBits[offset + w] != expected)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Whether set <paramref name="set"/> is a subset of <paramref name="unknown"/> with <paramref name="unknownFlip"/> flipped.</summary>
    private bool IsSubset(int set, ulong[] unknown, int unknownFlip)
    {
        int offset = set * _unknownWords;
        for (int w = 0; w < _unknownWords; w++)
        {
            ulong other = w == unknownFlip >> 6 && unknownFlip >= 0 ? unknown[w] ^ (1UL << unknownFlip) : unknown[w];
            if ((_setBits[offset + w] & ~other) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private void DropSupersets(int key, ulong[] unknown)
    {
        int previous = None;
        for (int set = _keyFirstSet[key]; set != None; set = _setNext[set])
        {
            if (IsSuperset(set, unknown))
            {
                if (previous == None)
                {
                    _keyFirstSet[key] = _setNext[set];
                }
                else
                {
                    _setNext[previous] = _setNext[set];
                }
                continue; // the dropped slice stays in the arena, unreachable
            }
            previous = set;
        }
    }

    private bool IsSuperset(int set, ulong[] unknown)
    {
        int offset = set * _unknownWords;
        for (int w = 0; w < _unknownWords; w++)
        {
            if ((unknown[w] & ~_setBits[offset + w]) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private int AddKey(ulong[] known, ulong hash, int state)
    {
        if (_keyCount == _keyHashes.Length)
        {
            int capacity = Math.Min(_keyCount * 2, ArenaWordsMax / _knownWords + 1);
            Array.Resize(ref _keyHashes, capacity);
            Array.Resize(ref _keyStates, capacity);
            Array.Resize(ref _keyFirstSet, capacity);
            Array.Resize(ref _keyBits, capacity * _knownWords);
        }
        int key = _keyCount++;
        _keyHashes[key] = hash;
        _keyStates[key] = state;
        _keyFirstSet[key] = None;
        Array.Copy(known, 0, _keyBits, key * _knownWords, _knownWords);
        _wordsUsed += _knownWords;
        if (_keyCount * 2 > _slots.Length)
        {
            Rehash(_slots.Length * 2);
        }
        else
        {
            Place(_slots, key);
        }
        return key;
    }

    private void Rehash(int slotCount)
    {
        var slots = new int[slotCount];
        for (int key = 0; key < _keyCount; key++)
        {
            Place(slots, key);
        }
        _slots = slots;
    }

    private void Place(int[] slots, int key)
    {
        int mask = slots.Length - 1;
        int slot = (int)(_keyHashes[key] >> 33) & mask;
        while (slots[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }
        slots[slot] = key + 1;
    }
}
