using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Parser;
using Tusk.Sql.Planning;
using Tusk.Sql.Types;

namespace Tusk.Sql;

public sealed partial class SqlSession
{
    /// <summary>The scope of one table's row (for defaults, CHECK, RETURNING and ON CONFLICT).</summary>
    private static Scope TableScope(TableDescriptor table, string alias, Scope? parent = null, int offset = 0, List<ScopeColumn>? into = null)
    {
        var columns = into ?? [];
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var c = table.Columns[i];
            columns.Add(new ScopeColumn { Table = alias, Name = c.Name, Type = c.Type, Index = offset + i, Hidden = c.Hidden, TableOid = table.Oid, AttNum = (short)(i + 1) });
        }
        return new Scope(parent, columns);
    }

    /// <summary>
    /// A writer for a DML statement's target table, with foreign key enforcement when any key involves the table;
    /// the rows that referential actions change in other tables go through writers bound the same way.
    /// </summary>
    private static TableWriter Writer(TableDescriptor table, (string Name, BExpr Check)[] checks, Planner planner)
    {
        ForeignKeys? keys = null;
        keys = ForeignKeys.For(planner.Catalog, table, t => (new TableWriter(t, BindChecks(t, planner)) { Keys = keys }, BindDefaults(t, planner)));
        return new TableWriter(table, checks) { Keys = keys };
    }

    /// <summary>Each column's default as a bound expression (null when it has none).</summary>
    private static BExpr?[] BindDefaults(TableDescriptor table, Planner planner)
    {
        var empty = new Scope(null, []);
        return table.Columns.Select(c =>
        {
            if (c.Default is null) return null;
            var e = planner.BindExpr(SqlParser.ParseExpression(c.Default), empty);
            return planner.Coerce(e, c.Type, false, -1);
        }).ToArray();
    }

    internal static (string Name, BExpr Check)[] BindChecks(TableDescriptor table, Planner planner)
    {
        var scope = TableScope(table, table.Name);
        return table.Checks.Select(c => (c.Name, planner.Coerce(planner.BindExpr(SqlParser.ParseExpression(c.Expression), scope), SqlType.Bool, false, -1))).ToArray();
    }

    private (ResultColumn[]? Columns, BExpr[]? Exprs) BindReturning(Target[] returning, Scope scope, Planner planner)
    {
        if (returning.Length == 0) return (null, null);
        var exprs = new List<BExpr>();
        var columns = new List<ResultColumn>();
        foreach (var t in returning)
        {
            if (t.Expression is Star star)
            {
                foreach (var c in scope.Columns.Where(c => !c.Hidden && (star.Table is null || c.Table == star.Table)))
                {
                    exprs.Add(new ColumnExpr(c.Index, c.Type, c.Name));
                    columns.Add(new ResultColumn(c.Name, c.Type, c.TableOid, c.AttNum));
                }
                continue;
            }
            var e = planner.BindExpr(t.Expression, scope);
            if (e.Type.Id == SqlTypeId.Unknown) e = planner.Coerce(e, SqlType.Text, false, t.Expression.Position);
            exprs.Add(e);
            columns.Add(new ResultColumn(t.Alias ?? Planner.OutputName(t.Expression), e.Type));
        }
        return ([.. columns], [.. exprs]);
    }

    private static TableDescriptor WritableTable(Planner planner, string[] name, int position)
    {
        var table = planner.ResolveTable(name, position);
        if (table.Kind != RelationKind.Table) throw new SqlException("42809", $"cannot change view \"{table.Name}\"", position);
        return table;
    }

    private (IReadOnlyList<ResultColumn>?, Func<ExecContext, QueryResult>, PlanNode?, bool) BindInsert(InsertStmt insert, Planner planner)
    {
        var table = WritableTable(planner, insert.Table, insert.Position);
        var alias = insert.Alias ?? table.Name;
        var targets = insert.Columns.Length == 0
            ? table.Columns.Select((c, i) => (c, i)).Where(x => !x.c.Hidden).Select(x => x.i).ToArray()
            : insert.Columns.Select(n => table.Columns.FindIndex(c => c.Name == n && !c.Hidden) is var i and >= 0
                ? i
                : throw new SqlException("42703", $"column \"{n}\" of relation \"{table.Name}\" does not exist", insert.Position)).ToArray();
        if (targets.Distinct().Count() != targets.Length) throw new SqlException("42701", "column specified more than once", insert.Position);
        var targetTypes = targets.Select(i => table.Columns[i].Type).ToArray();

        PlanNode source;
        if (insert.Source is null)
        {
            source = new OneRowNode();
            targets = [];
        }
        else if (insert.Source is { Body: ValuesBody values, OrderBy.Length: 0, Limit: null, Offset: null, With: null })
        {
            if (values.Rows.Any(r => r.Length > targets.Length)) throw new SqlException("42601", "INSERT has more expressions than target columns", insert.Position);
            var bodyWidth = values.Rows[0].Length;
            source = PlanInsertValues(values, targetTypes[..bodyWidth], planner);
            targets = targets[..bodyWidth];
        }
        else
        {
            var plan = planner.PlanQuery(insert.Source, null, out _);
            if (plan.Columns.Count > targets.Length) throw new SqlException("42601", "INSERT has more expressions than target columns", insert.Position);
            targets = targets[..plan.Columns.Count];
            var exprs = plan.Columns.Select((c, i) => planner.Coerce(new ColumnExpr(i, c.Type, c.Name), targetTypes[i], false, insert.Position)).ToArray();
            source = new ProjectNode(plan, exprs, plan.Columns.Select((c, i) => c with { Type = targetTypes[i] }).ToArray());
        }

        var defaults = BindDefaults(table, planner);
        var checks = BindChecks(table, planner);
        var writer = Writer(table, checks, planner);
        var tableScope = TableScope(table, alias);
        var (returnColumns, returnExprs) = BindReturning(insert.Returning, tableScope, planner);

        // ON CONFLICT: the arbiter index, and DO UPDATE's assignments over (existing row, excluded row).
        var onConflict = insert.OnConflict;
        IndexDescriptor? arbiter = null;
        var arbiterIsPk = false;
        (int Ordinal, BExpr Value)[] sets = [];
        BExpr? conflictWhere = null;
        if (onConflict is not null)
        {
            if (onConflict.Columns.Length > 0)
            {
                var ids = onConflict.Columns.Select(n => table.FindColumn(n)?.Id ?? throw new SqlException("42703", $"column \"{n}\" does not exist", insert.Position)).ToHashSet();
                if (ids.SetEquals(table.PrimaryKey)) arbiterIsPk = true;
                else arbiter = table.Indexes.FirstOrDefault(i => i.Unique && ids.SetEquals(i.ColumnIds))
                    ?? throw new SqlException("42P10", "there is no unique or exclusion constraint matching the ON CONFLICT specification", insert.Position);
            }
            else if (!onConflict.DoNothing)
            {
                throw new SqlException("42601", "ON CONFLICT DO UPDATE requires inference specification or constraint name", insert.Position,
                    hint: "For example, ON CONFLICT (column_name).");
            }
            if (!onConflict.DoNothing)
            {
                var columns = new List<ScopeColumn>();
                TableScope(table, alias, null, 0, columns);
                var both = TableScope(table, "excluded", null, table.Columns.Count, columns);
                sets = onConflict.Sets.Select(s =>
                {
                    var ordinal = table.Columns.FindIndex(c => c.Name == s.Column && !c.Hidden);
                    if (ordinal < 0) throw new SqlException("42703", $"column \"{s.Column}\" of relation \"{table.Name}\" does not exist", insert.Position);
                    var value = s.Value is DefaultValue ? defaults[ordinal] ?? new ConstExpr(null, table.Columns[ordinal].Type) : planner.BindExpr(s.Value, both);
                    return (ordinal, planner.Coerce(value, table.Columns[ordinal].Type, false, s.Value.Position));
                }).ToArray();
                conflictWhere = onConflict.Where is null ? null : planner.Coerce(planner.BindExpr(onConflict.Where, both), SqlType.Bool, false, onConflict.Where.Position);
            }
        }

        var width = table.Columns.Count;
        var lookup = new TableScanNode(table, alias, new KeyBounds(), null);

        // The row written (inserted, or the conflicting row as DO UPDATE left it), or null when nothing was written.
        object?[]? InsertOrResolve(ExecContext ctx, object?[] row)
        {
            var readCommitted = ctx.Tx.Isolation == Kv.IsolationLevel.ReadCommitted;
            while (true)
            {
                if (writer.FindConflict(ctx, row) is not { } c)
                {
                    writer.Insert(ctx, row);
                    return row;
                }
                var isArbiter = onConflict is not null && (onConflict.Columns.Length == 0 || (arbiterIsPk ? c.Index is null : c.Index == arbiter));
                if (!isArbiter) throw writer.DuplicateKey(c.Constraint, c.Index, row);
                if (onConflict!.DoNothing) return null;
                // READ COMMITTED: lock the conflicting row (waiting for its writer) and update its latest version; if
                // it went away or no longer conflicts meanwhile, look again.
                if (readCommitted)
                {
                    ctx.Tx.Lock(c.ExistingKey, LockTimeout(), cancellation: ctx.Cancellation);
                    if (writer.FindConflict(ctx, row) is not { } again || !again.ExistingKey.AsSpan().SequenceEqual(c.ExistingKey)) continue;
                }
                var existing = lookup.LookupKey(ctx, c.ExistingKey) ?? throw new SqlException("XX000", "conflicting row vanished");
                var combined = JoinRows.Combine(existing, row);
                if (conflictWhere is not null && !conflictWhere.IsTrue(ctx, combined)) return null;
                var updated = (object?[])existing.Clone();
                foreach (var (ordinal, value) in sets) updated[ordinal] = value.Eval(ctx, combined);
                writer.Update(ctx, existing, updated);
                return updated;
            }
        }

        return (returnColumns, ctx =>
        {
            var timeout = LockTimeout();
            var count = 0L;
            var returned = returnExprs is null ? null : new List<object?[]>();
            foreach (var source1 in source.Run(ctx).ToList())
            {
                ctx.Check();
                var row = new object?[width];
                var given = new bool[width];
                for (var i = 0; i < targets.Length; i++)
                {
                    if (source1[i] is DefaultMarker) continue;
                    row[targets[i]] = source1[i];
                    given[targets[i]] = true;
                }
                for (var i = 0; i < width; i++)
                {
                    if (!given[i] && defaults[i] is { } d) row[i] = d.Eval(ctx, []);
                }
                writer.Validate(ctx, row);
                var claimed = writer.LockNewKeys(ctx, row, timeout);
                var written = InsertOrResolve(ctx, row);
                if (written is null)
                {
                    // DO NOTHING wrote nothing: the keys it claimed are not held on, so the existing row stays free
                    // for others, as in PostgreSQL. (DO UPDATE ... WHERE false keeps the row locked, as there.)
                    if (claimed is not null && onConflict!.DoNothing) foreach (var key in claimed) ctx.Tx.Unlock(key);
                    continue;
                }
                count++;
                if (returned is not null) returned.Add(returnExprs!.Select(e => e.Eval(ctx, written)).ToArray());
            }
            writer.Keys?.EndStatement(ctx);   // the foreign-key checks that wait for the statement's end
            return new QueryResult($"INSERT 0 {count}", returnColumns, returned);
        }, source, false);
    }

    private static ValuesNode PlanInsertValues(ValuesBody values, SqlType[] targetTypes, Planner planner)
    {
        var scope = new Scope(null, []);
        var rows = values.Rows.Select(r => r.Select((e, i) => e is DefaultValue
            ? new ConstExpr(DefaultMarker.Instance, SqlType.Unknown)
            : planner.Coerce(planner.BindExpr(e, scope), targetTypes[i], false, e.Position)).ToArray()).ToArray();
        return new ValuesNode(targetTypes.Select((t, i) => new PlanColumn($"column{i + 1}", t)).ToArray(), rows);
    }

    private (IReadOnlyList<ResultColumn>?, Func<ExecContext, QueryResult>, PlanNode?, bool) BindUpdate(UpdateStmt update, Planner planner)
    {
        var table = WritableTable(planner, update.Table, update.Position);
        var alias = update.Alias ?? table.Name;
        FromItem[] from = [new TableRef(update.Table, update.Alias, []), .. update.From];
        var (plan, scope) = planner.PlanFromWhere(from, update.Where, null);
        var defaults = BindDefaults(table, planner);
        var sets = update.Sets.Select(s =>
        {
            var ordinal = table.Columns.FindIndex(c => c.Name == s.Column && !c.Hidden);
            if (ordinal < 0) throw new SqlException("42703", $"column \"{s.Column}\" of relation \"{table.Name}\" does not exist", update.Position);
            var value = s.Value is DefaultValue ? defaults[ordinal] ?? new ConstExpr(null, table.Columns[ordinal].Type) : planner.BindExpr(s.Value, scope);
            return (Ordinal: ordinal, Value: planner.Coerce(value, table.Columns[ordinal].Type, false, s.Value.Position));
        }).ToArray();
        var writer = Writer(table, BindChecks(table, planner), planner);
        var (returnColumns, returnExprs) = BindReturning(update.Returning, scope, planner);
        var width = table.Columns.Count;
        var recheck = RowRecheck(table, update.Alias, update.From.Length == 0 ? update.Where : null, planner);
        // PostgreSQL's row lock for an UPDATE: FOR NO KEY UPDATE unless it sets a column of the primary key or of a
        // unique index (which foreign keys may reference): then FOR UPDATE.
        var updateMode = sets.Any(s => IsKeyColumn(table, table.Columns[s.Ordinal].Id)) ? Kv.KeyLockMode.Update : Kv.KeyLockMode.NoKeyUpdate;
        return (returnColumns, ctx =>
        {
            var rows = plan.Run(ctx).ToList();
            var seen = update.From.Length > 0 ? new HashSet<string>() : null;
            var returned = returnExprs is null ? null : new List<object?[]>();
            var count = 0L;
            foreach (var row in rows)
            {
                ctx.Check();
                var combined = row;
                if (seen is not null && !seen.Add(Convert.ToBase64String(writer.PrimaryKey(combined[..width])))) continue;
                if (LockAndRefresh(ctx, writer, recheck, ref combined, width, updateMode) is false) continue;
                var old = combined[..width];
                var updated = (object?[])old.Clone();
                foreach (var (ordinal, value) in sets) updated[ordinal] = value.Eval(ctx, combined);
                writer.Update(ctx, old, updated);
                count++;
                if (returned is not null)
                {
                    var after = (object?[])combined.Clone();
                    Array.Copy(updated, after, width);
                    returned.Add(returnExprs!.Select(e => e.Eval(ctx, after)).ToArray());
                }
            }
            writer.Keys?.EndStatement(ctx);   // the foreign-key checks that wait for the statement's end
            return new QueryResult($"UPDATE {count}", returnColumns, returned);
        }, plan, false);
    }

    private static bool IsKeyColumn(TableDescriptor table, int columnId) =>
        table.PrimaryKey.Contains(columnId) || table.Indexes.Exists(i => i.Unique && i.ColumnIds.Contains(columnId));

    /// <summary>The WHERE of a single-table UPDATE/DELETE over the table's row, to re-check a row after waiting for its lock.</summary>
    private static (TableScanNode Lookup, BExpr? Where) RowRecheck(TableDescriptor table, string? alias, Expr? where, Planner planner)
    {
        var name = alias ?? table.Name;
        var bound = where is null ? null : planner.Coerce(planner.BindExpr(where, TableScope(table, name)), SqlType.Bool, false, where.Position);
        return (new TableScanNode(table, name, new KeyBounds(), null), bound);
    }

    /// <summary>
    /// Locks the row about to be updated or deleted, waiting for a concurrent writer (or SELECT ... FOR UPDATE) to
    /// finish, as PostgreSQL does at every level. At READ COMMITTED the row is then read again at its latest committed
    /// version and the WHERE re-checked on it; false when the row is gone or no longer qualifies. At REPEATABLE READ
    /// and SERIALIZABLE a row committed after the snapshot fails the lock with 40001 (before, it failed at commit).
    /// </summary>
    private bool LockAndRefresh(ExecContext ctx, TableWriter writer, (TableScanNode Lookup, BExpr? Where) recheck, ref object?[] combined, int width, Kv.KeyLockMode mode)
    {
        var key = writer.PrimaryKey(combined[..width]);
        ctx.Tx.Lock(key, LockTimeout(), mode, ctx.Cancellation);
        if (ctx.Tx.Isolation != Kv.IsolationLevel.ReadCommitted) return true;
        var fresh = recheck.Lookup.LookupKey(ctx, key);
        if (fresh is null) return false;
        if (recheck.Where is not null && !recheck.Where.IsTrue(ctx, fresh)) return false;
        var refreshed = (object?[])combined.Clone();
        Array.Copy(fresh, refreshed, width);
        combined = refreshed;
        return true;
    }

    internal TimeSpan LockTimeout()
    {
        var text = Settings.Show("lock_timeout");
        if (text == _lockTimeoutText) return _lockTimeout;
        _lockTimeout = ParseLockTimeout(text);
        _lockTimeoutText = text;
        return _lockTimeout;
    }

    /// <summary>lock_timeout 0 ("no limit"): 10 minutes, so that a forgotten session cannot hold another forever.</summary>
    internal static readonly TimeSpan LockWaitUnlimited = TimeSpan.FromMinutes(10);

    private string? _lockTimeoutText;
    private TimeSpan _lockTimeout;

    /// <summary>
    /// lock_timeout as PostgreSQL reads it: a number with an optional unit (us, ms, s, min, h, d; none is ms); 0 is no
    /// limit, here 10 minutes (so that a forgotten session cannot hold another forever; cancel ends a wait sooner).
    /// </summary>
    internal static TimeSpan ParseLockTimeout(string setting)
    {
        var text = setting.Trim().Trim('\'').ToLowerInvariant();
        var digits = 0;
        while (digits < text.Length && (char.IsAsciiDigit(text[digits]) || text[digits] == '.')) digits++;
        var unit = text[digits..].Trim();
        if (digits == 0 || !double.TryParse(text.AsSpan(0, digits), System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var amount))
        {
            throw new SqlException("22023", $"invalid value for parameter \"lock_timeout\": \"{setting}\"");
        }
        var ms = unit switch
        {
            "" or "ms" => amount,
            "us" => amount / 1000,
            "s" => amount * 1000,
            "min" => amount * 60_000,
            "h" => amount * 3_600_000,
            "d" => amount * 86_400_000,
            _ => throw new SqlException("22023", $"invalid value for parameter \"lock_timeout\": \"{setting}\"",
                hint: "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\"."),
        };
        if (ms > int.MaxValue) throw new SqlException("22023", $"{setting} is outside the valid range for parameter \"lock_timeout\" (0 .. 2147483647)");
        return ms < 1 ? LockWaitUnlimited : TimeSpan.FromMilliseconds(Math.Round(ms));
    }

    private (IReadOnlyList<ResultColumn>?, Func<ExecContext, QueryResult>, PlanNode?, bool) BindDelete(DeleteStmt delete, Planner planner)
    {
        var table = WritableTable(planner, delete.Table, delete.Position);
        FromItem[] from = [new TableRef(delete.Table, delete.Alias, []), .. delete.Using];
        var (plan, scope) = planner.PlanFromWhere(from, delete.Where, null);
        var writer = Writer(table, [], planner);
        var (returnColumns, returnExprs) = BindReturning(delete.Returning, scope, planner);
        var width = table.Columns.Count;
        var recheck = RowRecheck(table, delete.Alias, delete.Using.Length == 0 ? delete.Where : null, planner);
        return (returnColumns, ctx =>
        {
            var rows = plan.Run(ctx).ToList();
            var seen = new HashSet<string>();
            var returned = returnExprs is null ? null : new List<object?[]>();
            var count = 0L;
            foreach (var row in rows)
            {
                ctx.Check();
                var combined = row;
                if (!seen.Add(Convert.ToBase64String(writer.PrimaryKey(combined[..width])))) continue;
                if (LockAndRefresh(ctx, writer, recheck, ref combined, width, Kv.KeyLockMode.Update) is false) continue;
                var old = combined[..width];
                writer.Delete(ctx, old);
                count++;
                returned?.Add(returnExprs!.Select(e => e.Eval(ctx, combined)).ToArray());
            }
            writer.Keys?.EndStatement(ctx);   // the foreign-key checks that wait for the statement's end
            return new QueryResult($"DELETE {count}", returnColumns, returned);
        }, plan, false);
    }
}
