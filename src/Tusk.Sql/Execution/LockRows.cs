using Tusk.Kv;

namespace Tusk.Sql.Execution;

/// <summary>
/// SELECT ... FOR UPDATE / FOR SHARE: locks the row of each target table behind every row its input yields, in
/// output order and only as the rows are pulled (under a LIMIT, only the rows returned and those skipped on the
/// way). The input carries the whole FROM row after the <c>visible</c> output columns.
///
/// <para>At READ COMMITTED, as PostgreSQL does: after the lock (which waits for a concurrent writer), the row is read
/// again at its latest committed version; a deleted row is dropped, and a changed one is checked against the WHERE
/// again and the output computed from it. At REPEATABLE READ and SERIALIZABLE a row committed after the snapshot
/// cannot be locked: 40001. Each strength takes its <see cref="KeyLockMode"/>, with PostgreSQL's conflicts (FOR KEY
/// SHARE, which foreign-key checks take too, only conflicts with FOR UPDATE, DELETE and key-changing UPDATEs); all are
/// held to the end of the transaction. NOWAIT fails with 55P03 instead of waiting; SKIP LOCKED leaves out rows another transaction
/// holds.</para>
/// </summary>
internal sealed class LockRowsNode(PlanNode input, int visible, int fromWidth, BExpr[] outputs, BExpr? where, LockRowsNode.Target[] targets) : PlanNode
{
    /// <summary>One table whose rows are locked: its alias, where its row starts in the FROM row, and how to key and read it.</summary>
    public sealed record Target(string Alias, int Offset, TableWriter Writer, TableScanNode Lookup, string Wait, KeyLockMode Mode);

    private readonly PlanColumn[] _columns = input.Columns.Take(visible).ToArray();

    public override IReadOnlyList<PlanColumn> Columns => _columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var readCommitted = ctx.Tx.Isolation == IsolationLevel.ReadCommitted;
        var wait = ctx.LockTimeout;
        foreach (var row in input.Run(ctx))
        {
            ctx.Check();
            var start = row.Length - fromWidth;
            object?[]? from = null;   // the FROM row, copied when a re-read changed it
            var keep = true;
            foreach (var target in targets)
            {
                var width = target.Writer.Table.Columns.Count;
                var part = row.AsSpan(start + target.Offset, width);
                if (IsNullExtended(part)) continue;   // the null side of an outer join: no row to lock
                var current = part.ToArray();
                var key = target.Writer.PrimaryKey(current);
                if (!TryLock(ctx, target, key, wait))
                {
                    keep = false;
                    break;
                }
                if (!readCommitted) continue;
                var fresh = target.Lookup.LookupKey(ctx, key);
                if (fresh is null)
                {
                    keep = false;   // deleted while we waited
                    break;
                }
                if (Values.RowComparer.Instance.Equals(fresh, current)) continue;
                from ??= row[start..];
                Array.Copy(fresh, 0, from, target.Offset, width);
            }
            if (!keep) continue;
            if (from is null)
            {
                yield return row[..visible];
                continue;
            }
            if (where is not null && !where.IsTrue(ctx, from)) continue;
            var output = new object?[visible];
            for (var i = 0; i < visible; i++) output[i] = outputs[i].Eval(ctx, from);
            yield return output;
        }
    }

    private static bool IsNullExtended(ReadOnlySpan<object?> part)
    {
        foreach (var v in part)
        {
            if (v is not null) return false;
        }
        return true;
    }

    /// <summary>Takes the row lock as the clause asks; false when SKIP LOCKED finds it held.</summary>
    private static bool TryLock(ExecContext ctx, Target target, byte[] key, TimeSpan wait)
    {
        try
        {
            ctx.Tx.Lock(key, target.Wait == "wait" ? wait : TimeSpan.Zero, target.Mode, ctx.Cancellation);
            return true;
        }
        // Without waiting no cycle of waits can form: a "deadlock" here is just a lock held by another transaction.
        catch (KvException e) when (e is KvLockTimeoutException or KvDeadlockException && target.Wait == "skip locked")
        {
            return false;
        }
        catch (KvException e) when (e is KvLockTimeoutException or KvDeadlockException && target.Wait == "nowait")
        {
            throw new SqlException("55P03", $"could not obtain lock on row in relation \"{target.Writer.Table.Name}\"");
        }
    }

    public override void Explain(ExplainWriter w) => w.Node("LockRows", () =>
    {
        w.Detail("Lock: " + string.Join(", ", targets.Select(t => t.Alias + (t.Wait == "wait" ? "" : " " + t.Wait.ToUpperInvariant()))));
        input.Explain(w);
    });
}
