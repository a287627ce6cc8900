using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Parser;
using Tusk.Sql.Planning;
using Tusk.Sql.Types;

namespace Tusk.Sql;

public sealed partial class SqlSession
{
    private BoundStatement Bind(PreparedQuery q, Catalog.Catalog catalog)
    {
        var planner = new Planner(catalog, q.Declared, new VirtualCatalog(catalog, this)) { Options = PlannerOptions.From(Settings) };
        var settingsVersion = Settings.Version;
        var statement = q.Statement!;
        try
        {
            var (columns, run, plan, writesCatalog) = BindStatement(statement, planner);
            var types = planner.ParameterTypes.ToArray();
            return new BoundStatement
            {
                Columns = columns,
                ParameterTypes = types,
                CatalogVersion = catalog.Version,
                SettingsVersion = settingsVersion,
                CatalogIsPrivate = _txWroteCatalog,
                Run = run,
                Plan = plan,
                WritesCatalog = writesCatalog,
            };
        }
        catch (SqlDataException e)
        {
            throw e.ToSqlException();
        }
    }

    private static ResultColumn[] ResultColumns(PlanNode plan) =>
        plan.Columns.Select(c => new ResultColumn(c.Name, c.Type, c.TableOid, c.AttNum)).ToArray();

    private (IReadOnlyList<ResultColumn>? Columns, Func<ExecContext, QueryResult> Run, PlanNode? Plan, bool WritesCatalog) BindStatement(Statement statement, Planner planner)
    {
        switch (statement)
        {
            case SelectStmt select:
            {
                var plan = planner.PlanQuery(select, null, out _);
                return (ResultColumns(plan), ctx =>
                {
                    var rows = new List<object?[]>();
                    foreach (var row in plan.Run(ctx)) rows.Add(row);
                    return new QueryResult($"SELECT {rows.Count}", ResultColumns(plan), rows);
                }, plan, false);
            }
            case InsertStmt insert:
                return BindInsert(insert, planner);
            case UpdateStmt update:
                return BindUpdate(update, planner);
            case DeleteStmt delete:
                return BindDelete(delete, planner);
            case ExplainStmt explain:
            {
                var (_, _, plan, _) = BindStatement(explain.Statement, planner);
                var columns = new[] { new ResultColumn("QUERY PLAN", SqlType.Text) };
                return (columns, ctx =>
                {
                    var w = new ExplainWriter();
                    if (plan is null) w.Node("Utility Statement");
                    else plan.Explain(w);
                    var rows = w.Lines.Select(l => new object?[] { l }).ToList();
                    return new QueryResult("EXPLAIN", columns, rows);
                }, null, false);
            }
            case SetStmt set:
                return (null, _ =>
                {
                    if (set.Reset) Settings.Reset(set.Name);
                    else Settings.Set(set.Name, string.Join(", ", set.Values));
                    return new QueryResult(set.Reset ? "RESET" : "SET");
                }, null, false);
            case ShowStmt show:
            {
                if (show.Name.Equals("all", StringComparison.OrdinalIgnoreCase))
                {
                    var cols = new[] { new ResultColumn("name", SqlType.Text), new ResultColumn("setting", SqlType.Text), new ResultColumn("description", SqlType.Text) };
                    return (cols, _ => new QueryResult("SHOW", cols, Settings.Reported.Select(n => new object?[] { n, Settings.Show(n), "" }).ToList()), null, false);
                }
                var name = show.Name.ToLowerInvariant() switch
                {
                    "transaction isolation level" => "transaction_isolation",
                    "time zone" => "TimeZone",
                    _ => show.Name,
                };
                var columns = new[] { new ResultColumn(name.ToLowerInvariant() == "timezone" ? "TimeZone" : name, SqlType.Text) };
                return (columns, _ => new QueryResult("SHOW", columns, [[name == "transaction_isolation" ? CurrentIsolation() : Settings.Show(name)]]), null, false);
            }
            case CopyStmt copy:
                return BindCopy(copy, planner);
            case LockStmt lockStatement:
                return BindLock(lockStatement, planner);
            case MaintenanceStmt maintenance:
                return BindMaintenance(maintenance, planner);
            default:
                return BindDdl(statement, planner);
        }
    }

    private string CurrentIsolation() => _tx?.Isolation switch
    {
        Kv.IsolationLevel.ReadCommitted => "read committed",
        Kv.IsolationLevel.RepeatableRead => "repeatable read",
        Kv.IsolationLevel.Serializable => "serializable",
        _ => Settings.Show("default_transaction_isolation"),
    };
}
