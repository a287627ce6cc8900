using Tusk.Core;
namespace Tusk.Kv;

/// <summary>What one <see cref="KvStore.Vacuum"/> pass did.</summary>
/// <param name="VersionsExamined">Versions read.</param>
/// <param name="VersionsRemoved">Versions deleted (no live or future snapshot could see them).</param>
/// <param name="Horizon">The oldest snapshot the pass protected: versions visible at or after it were kept.</param>
/// <param name="PassCompleted">True when the pass reached the end of the key space (the next one starts over).</param>
public readonly record struct VacuumResult(int VersionsExamined, int VersionsRemoved, HlcTimestamp Horizon, bool PassCompleted);
