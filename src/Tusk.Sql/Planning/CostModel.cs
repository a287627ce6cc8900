using Tusk.Sql.Execution;

namespace Tusk.Sql.Planning;

/// <summary>
/// The planner's estimates without statistics, in the spirit of PostgreSQL's defaults when a table was never
/// analyzed: every table is assumed to hold <see cref="TableRowsDefault"/> rows, an equality keeps
/// <see cref="EqualitySelectivity"/> of them (unless it pins a unique key: then one row), an inequality a third, and a
/// column has <see cref="DistinctValuesDefault"/> distinct values unless it is a unique key. Costs are in units of one
/// row read in key order; a seek (a point read or the start of a range read in the LSM) costs
/// <see cref="SeekCost"/> of them. The constants only need to rank plans sensibly: an index nested loop wins when
/// its outer side is small next to the inner table (a few rows against a table scan), a hash join otherwise.
/// Pure functions; thread-safe.
/// </summary>
internal static class CostModel
{
    /// <summary>Rows assumed in a base table (Tusk.Kv keeps no counts).</summary>
    public const double TableRowsDefault = 1000;

    /// <summary>Rows assumed from a subquery, CTE or set-returning function.</summary>
    public const double SourceRowsDefault = 1000;

    /// <summary>PostgreSQL's DEFAULT_NUM_DISTINCT: distinct values of a column that is not a unique key.</summary>
    public const double DistinctValuesDefault = 200;

    /// <summary>PostgreSQL's DEFAULT_EQ_SEL.</summary>
    public const double EqualitySelectivity = 0.005;

    /// <summary>PostgreSQL's DEFAULT_INEQ_SEL.</summary>
    public const double InequalitySelectivity = 1.0 / 3;

    /// <summary>PostgreSQL's DEFAULT_RANGE_INEQ_SEL: a lower and an upper bound on one column.</summary>
    public const double RangeSelectivity = 0.005;

    /// <summary>Reading one row in key order and decoding it.</summary>
    public const double RowCost = 1;

    /// <summary>Positioning a read at a key: a point read, or the start of a range read.</summary>
    public const double SeekCost = 4;

    /// <summary>Putting a row into a hash join's table.</summary>
    public const double HashBuildCost = 1;

    /// <summary>Probing a hash join's table with one row.</summary>
    public const double HashProbeCost = 0.5;

    /// <summary>Testing one pair of rows in a nested loop without keys.</summary>
    public const double PairCost = 0.1;

    /// <summary>Producing one output row of a join.</summary>
    public const double OutputRowCost = 0.1;

    /// <summary>Added to a method the session disabled (enable_hashjoin = off), as PostgreSQL's disable_cost.</summary>
    public const double DisabledCost = 1e10;

    /// <summary>The fraction of rows a predicate keeps, from its shape alone.</summary>
    public static double Selectivity(BExpr e) => e switch
    {
        ConstExpr { Value: true } => 1,
        ConstExpr => 0,
        AndExpr a => Selectivity(a.Left) * Selectivity(a.Right),
        OrExpr o => Math.Min(1, Selectivity(o.Left) + Selectivity(o.Right) - Selectivity(o.Left) * Selectivity(o.Right)),
        NotExpr n => 1 - Selectivity(n.Operand),
        CompareExpr { Op: "=" } => EqualitySelectivity,
        CompareExpr { Op: "<>" or "!=" } => 1 - EqualitySelectivity,
        CompareExpr => InequalitySelectivity,
        IsExpr { What: "NULL" } i => i.Not ? 1 - EqualitySelectivity : EqualitySelectivity,
        InListExpr l => l.Not ? Math.Max(0, 1 - l.Items.Length * EqualitySelectivity) : Math.Min(0.5, l.Items.Length * EqualitySelectivity),
        LikeExpr l => l.Not ? 1 - EqualitySelectivity : EqualitySelectivity,
        _ => InequalitySelectivity,
    };

    /// <summary>The fraction of rows all of <paramref name="conjuncts"/> keep (taken as independent).</summary>
    public static double Selectivity(IEnumerable<BExpr> conjuncts)
    {
        var s = 1.0;
        foreach (var c in conjuncts) s *= Selectivity(c);
        return s;
    }

    /// <summary>The fraction of an index's entries a key range keeps: equalities on a prefix, then bounds on the next column.</summary>
    public static double BoundsSelectivity(KeyBounds bounds, bool pinsUniqueKey, double tableRows)
    {
        if (pinsUniqueKey) return 1 / tableRows;
        var s = Math.Pow(EqualitySelectivity, bounds.Equal.Length);
        if (bounds.Lower is not null && bounds.Upper is not null) s *= RangeSelectivity;
        else if (bounds.Lower is not null || bounds.Upper is not null) s *= InequalitySelectivity;
        return s;
    }
}
