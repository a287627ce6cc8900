using Tusk.Sql.Execution;
using Tusk.Sql.Parser;

namespace Tusk.Sql.Planning;

/// <summary>
/// LATERAL: a subquery (with LATERAL) or a function in FROM that reads the FROM items before it is planned with
/// their row as an enclosing query's row (the correlated-subquery machinery: <see cref="OuterColumnExpr"/> at depth 1),
/// and joined by a nested loop that runs it again for each of their rows (<see cref="LateralJoinNode"/>).
/// </summary>
internal sealed partial class Planner
{
    /// <summary>The scope of the relations so far in a join group (their row, in FROM order); sets their offsets.</summary>
    private static Scope LeftScope(List<Relation> relations, Scope? outer)
    {
        var columns = new List<ScopeColumn>();
        var offset = 0;
        foreach (var r in relations)
        {
            r.Offset = offset;
            columns.AddRange(r.Columns.Select(c => Rebase(c, offset)));
            offset += r.Width;
        }
        return new Scope(outer, columns);
    }

    private static ScopeColumn Rebase(ScopeColumn c, int offset) => new()
    {
        Table = c.Table, Name = c.Name, Type = c.Type, Index = c.Index + offset, Hidden = c.Hidden, QualifiedOnly = c.QualifiedOnly,
        TableOid = c.TableOid, AttNum = c.AttNum,
    };

    private static Relation LateralSource(Relation r) => new() { Source = r.Source, Alias = r.Alias, Columns = r.Columns, Lateral = true };

    /// <summary>
    /// The relations before a LATERAL item joined with it: they stay a join group of their own (ordered and planned as
    /// usual, with the conjuncts pushed onto this relation that read only them), and the LATERAL item runs per row.
    /// </summary>
    private Relation LateralRelation(List<Relation> left, Relation lateral, Scope? outer)
    {
        var leftScope = LeftScope(left, outer);
        var leftWidth = leftScope.Columns.Count;
        var columns = leftScope.Columns.Concat(lateral.Columns.Select(c => Rebase(c, leftWidth))).ToList();
        var group = new JoinGroup { Relations = left, Scope = leftScope, Conjuncts = [] };
        return new Relation
        {
            Columns = columns,
            Build = pushed =>
            {
                var leftConjuncts = pushed.Where(c => Side(c, leftWidth) == 1).ToList();
                var rest = pushed.Where(c => Side(c, leftWidth) != 1).ToList();
                var plan = PlanJoinGroup(group, leftConjuncts);
                var output = columns.Select(c => new PlanColumn(c.Name, c.Type, c.TableOid, c.AttNum)).ToArray();
                var node = new LateralJoinNode(JoinKind.Inner, plan.Plan, lateral.Source!, AndAll(rest), output);
                return new Access(node, Math.Max(1, plan.Rows * CostModel.Selectivity(rest)), plan.Cost + plan.Rows * CostModel.TableRowsDefault * CostModel.RowCost);
            },
        };
    }

    /// <summary>
    /// A JOIN LATERAL with ON (inner or left): <paramref name="on"/> decides which right rows join a left row;
    /// <paramref name="after"/> (conjuncts pushed onto a left join) filters the joined rows.
    /// </summary>
    private static Access LateralAccess(JoinKind kind, Access left, PlanNode right, List<BExpr> on, List<BExpr> after, List<ScopeColumn> columns)
    {
        var output = columns.Select(c => new PlanColumn(c.Name, c.Type, c.TableOid, c.AttNum)).ToArray();
        PlanNode node = new LateralJoinNode(kind, left.Plan, right, AndAll(on), output);
        if (after.Count > 0) node = new FilterNode(node, AndAll(after)!);
        return new Access(node, left.Rows, left.Cost + left.Rows * CostModel.TableRowsDefault * CostModel.RowCost);
    }
}
