using Tusk.Core;
using Tusk.Raft;

namespace Tusk.Simulation.Raft;

/// <summary>
/// Checks Raft's safety properties (Raft paper figure 3) on everything the nodes of a run hand to their hosts:
/// election safety (at most one leader per term), state machine safety and log matching (every node applies the
/// same entry at an index, and nothing committed changes), and leader completeness (a new leader holds every entry
/// applied anywhere before). Records the first violations; the run fails if any.
/// </summary>
public sealed class RaftInvariants
{
    private readonly SortedDictionary<ulong, ulong> _leaderOfTerm = [];
    // Every entry applied anywhere: its term, a checksum, the first node that applied it, and that node's term then.
    // The entry was committed in some term no later than that one (a node learns of a commit from a leader of its
    // term or an earlier one), which is what leader completeness is checked against.
    private readonly SortedDictionary<ulong, (ulong Term, uint Crc, int Node, ulong SeenInTerm)> _committed = [];
    private readonly SortedDictionary<int, ulong> _lastLeaderTerm = [];
    private readonly List<string> _violations = [];

    public IReadOnlyList<string> Violations => _violations;

    public int LeadersElected => _leaderOfTerm.Count;

    public ulong HighestTerm => _leaderOfTerm.Count == 0 ? 0 : _leaderOfTerm.Keys.Max();

    public int CommittedEntries => _committed.Count;

    internal void OnReady(int node, RaftNode raft, RaftReady ready)
    {
        if (ready.Role != RaftRole.Leader) return;
        var term = raft.Term;
        if (_leaderOfTerm.TryGetValue(term, out var leader) && leader != (ulong)node)
        {
            Violation($"election safety: nodes {leader} and {node} both lead term {term}");
            return;
        }
        _leaderOfTerm[term] = (ulong)node;
        if (_lastLeaderTerm.TryGetValue(node, out var last) && last == term) return;
        _lastLeaderTerm[node] = term;
        // Leader completeness (Raft §5.4): the new leader's log holds every entry committed in an earlier term. A
        // leader of an older term may legitimately be elected after a newer term committed entries (its votes were
        // granted first and delivered late), so entries first seen applied in this term or a later one are not required.
        foreach (var (index, (committedTerm, _, by, seenInTerm)) in _committed)
        {
            if (seenInTerm >= term) continue;
            if (index < raft.FirstIndex) continue;  // compacted into its snapshot
            if (!raft.TryGetTerm(index, out var t) || t != committedTerm)
            {
                Violation($"leader completeness: node {node} leads term {term} but lacks entry {committedTerm}/{index} (applied by node {by}); it has term {t}");
                return;
            }
        }
    }

    internal void OnApply(int node, ulong nodeTerm, RaftEntry entry)
    {
        var crc = Crc32C.Compute(entry.Data.Span) ^ (uint)entry.Type;
        if (_committed.TryGetValue(entry.Index, out var seen))
        {
            if (seen.Term != entry.Term || seen.Crc != crc)
                Violation($"state machine safety: node {node} applied {entry.Term}/{entry.Index} but node {seen.Node} applied {seen.Term}/{entry.Index} there");
            return;
        }
        _committed[entry.Index] = (entry.Term, crc, node, nodeTerm);
    }

    /// <summary>
    /// Log matching (Raft §5.3) over the durable logs of two nodes: if both hold an entry with the same index and term,
    /// they hold the same entries up to it. Checked from the first index both still hold.
    /// </summary>
    internal void CheckLogMatching(int nodeA, IRaftStorage a, int nodeB, IRaftStorage b)
    {
        var first = Math.Max(a.FirstIndex, b.FirstIndex);
        var last = Math.Min(a.LastIndex, b.LastIndex);
        if (first > last) return;
        var left = new List<RaftEntry>();
        var right = new List<RaftEntry>();
        a.GetEntries(first, last + 1, long.MaxValue, left);
        b.GetEntries(first, last + 1, long.MaxValue, right);
        var matchUpTo = -1;
        for (var i = left.Count - 1; i >= 0; i--)
        {
            if (left[i].Term == right[i].Term) { matchUpTo = i; break; }
        }
        for (var i = 0; i <= matchUpTo; i++)
        {
            if (left[i].Term != right[i].Term || !left[i].Data.Span.SequenceEqual(right[i].Data.Span))
            {
                Violation($"log matching: nodes {nodeA} and {nodeB} agree on entry {left[matchUpTo].Term}/{left[matchUpTo].Index} " +
                    $"but differ at index {left[i].Index} ({left[i].Term} vs {right[i].Term})");
                return;
            }
        }
    }

    private void Violation(string message)
    {
        if (_violations.Count < 20) _violations.Add(message);
    }
}
