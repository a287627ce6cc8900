namespace Tusk.Sql.Planning;

/// <summary>
/// The session settings that steer join planning, under PostgreSQL's names: <c>enable_nestloop</c> (off: no index
/// nested loops; a join without equality keys still loops), <c>enable_hashjoin</c> (off: hash joins cost
/// <see cref="CostModel.DisabledCost"/> more, so an index nested loop wins wherever one is possible) and
/// <c>join_collapse_limit</c> (inner joins of at most this many relations are reordered; 1 keeps the FROM order).
/// With <c>enable_nestloop = off</c> and <c>join_collapse_limit = 1</c> the planner makes the plans it made before
/// join ordering existed: FROM order, hash joins.
/// </summary>
internal sealed record PlannerOptions(bool EnableNestLoop = true, bool EnableHashJoin = true, int JoinCollapseLimit = 8)
{
    public static readonly PlannerOptions Default = new();

    /// <summary>The most relations the join order search considers at once (2^n subsets).</summary>
    public const int JoinOrderRelationsMax = 12;

    public static PlannerOptions From(Settings settings)
    {
        var limit = int.TryParse(settings.Get("join_collapse_limit"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var l) ? l : 8;
        return new PlannerOptions(IsOn(settings.Get("enable_nestloop")), IsOn(settings.Get("enable_hashjoin")), Math.Max(1, limit));
    }

    private static bool IsOn(string? value) => value?.Trim().ToLowerInvariant() is not ("off" or "false" or "0" or "no" or "f" or "n");
}
