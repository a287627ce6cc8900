namespace Tusk.Kv;

/// <summary>
/// The strength of a key lock, PostgreSQL's four row-lock modes, weakest first. Two transactions' locks on one key
/// conflict when <see cref="KeyLockModes.Conflicts"/> says so:
/// <list type="table">
/// <item><term>KeyShare</term><description>conflicts with Update only (foreign-key checks: the referenced key stays).</description></item>
/// <item><term>Share</term><description>conflicts with NoKeyUpdate and Update (SELECT ... FOR SHARE).</description></item>
/// <item><term>NoKeyUpdate</term><description>conflicts with Share, NoKeyUpdate and Update (an UPDATE that changes no key column).</description></item>
/// <item><term>Update</term><description>conflicts with every mode (DELETE, key-changing UPDATE, FOR UPDATE, inserts claiming a key).</description></item>
/// </list>
/// </summary>
public enum KeyLockMode : byte
{
    KeyShare = 0,
    Share = 1,
    NoKeyUpdate = 2,
    Update = 3,
}

/// <summary>The conflict table of <see cref="KeyLockMode"/>.</summary>
public static class KeyLockModes
{
    /// <summary>Whether one transaction's lock in <paramref name="held"/> keeps another's <paramref name="wanted"/> waiting.</summary>
    public static bool Conflicts(KeyLockMode held, KeyLockMode wanted) => (int)held + (int)wanted >= 3;
}
