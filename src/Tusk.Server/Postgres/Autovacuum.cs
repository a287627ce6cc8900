// lint: allow Task.Delay — autovacuum's nap between passes (a host, not a core).
using Tusk.Sql;

namespace Tusk.Server.Postgres;

/// <summary>
/// The host's autovacuum: every <see cref="PgServerOptions.AutovacuumNaptime"/> it runs one full
/// <see cref="SqlEngine.Vacuum"/> pass, when at least <see cref="CommitsThreshold"/> transactions committed since
/// the previous one (an idle database is left alone). Without it, the versions that updates and deletes leave
/// behind accumulate and every scan over them gets slower.
/// </summary>
internal static class Autovacuum
{
    /// <summary>Commits between passes below which a pass is skipped (PostgreSQL's autovacuum_vacuum_threshold is 50 rows).</summary>
    public const long CommitsThreshold = 1000;

    public static async Task RunAsync(SqlEngine engine, TimeSpan naptime, Action<string> log, CancellationToken stop)
    {
        var lastCommits = engine.Kv.CommitCount;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(naptime, stop).ConfigureAwait(false);
                var commits = engine.Kv.CommitCount;
                if (commits - lastCommits < CommitsThreshold) continue;
                lastCommits = commits;
                var totals = await Task.Run(() => engine.Vacuum(stop), stop).ConfigureAwait(false);
                if (totals.VersionsRemoved > 0)
                {
                    log($"postgres: autovacuum removed {totals.VersionsRemoved} of {totals.VersionsExamined} row versions");
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the engine closed under us: the server is stopping
            }
#pragma warning disable CA1031 // a failed pass is reported and retried at the next nap; the server keeps serving
            catch (Exception e)
#pragma warning restore CA1031
            {
                log($"postgres: autovacuum pass failed: {e.Message}");
            }
        }
    }
}
