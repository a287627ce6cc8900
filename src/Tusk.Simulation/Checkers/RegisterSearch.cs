using Tusk.Core;

namespace Tusk.Simulation.Checkers;

/// <summary>
/// The Wing &amp; Gong linearizability search with Lowe's memo, on one key's register (after Porcupine's
/// <c>checkSingle</c>; our own code). Ok operations become call and return events in a doubly linked list in time
/// order (calls before returns at equal times, so touching intervals count as concurrent). The search walks the
/// list: at a call it tries to linearize that operation now (legal in the model, and a configuration not explored
/// before), lifting its call and return out of the list and restarting from the head. At a return it has reached an
/// operation that must already be linearized; it then tries the pending Unknown operations invoked before that
/// return, and when none helps it backtracks, undoing the most recent choice. No Ok operation left means success
/// (the Unknown ones left go last, where they are always legal); backtracking with nothing to undo proves failure.
///
/// <para>Unknown operations have no return event (it would be at +infinity). Their calls sit in lists by the state
/// in which they change something: one list for Puts, and one per value for Cases expecting that value, so at each
/// dead end only the Unknown operations that can make a difference are visited. Trying Ok candidates first and
/// Unknown ones last explores "not applied (yet)" before "applied", so the memo usually already holds the failed
/// configuration with fewer Unknown operations placed that covers one with more (<see cref="ConfigurationMemo"/>).</para>
///
/// <para>Cost: one step per list entry visited; each is O(1) apart from memo work: a hash probe per attempted
/// placement, a scan of the failed Unknown sets of that (Ok set, state), and a copy of n/64 words per failure.
/// Bounded by the step budget; the memo's memory by <see cref="ConfigurationMemo.ArenaWordsMax"/>.
/// Single-threaded; one instance per run.</para>
/// </summary>
internal sealed class RegisterSearch
{
    private const int End = -1;

    private enum Phase
    {
        Known, // walking the Ok operations' events from the head
        Puts, // at a dead end: trying pending Unknown Puts invoked before the blocking return
        Cas, // then pending Unknown Cases that expect the current state
    }

    private readonly RegisterStep[] _steps;

    // Nodes 0.._nodeCount-1 are events in time order: a call and a return per Ok operation, a call per Unknown one.
    // After them come the list heads (sentinels): the Ok list, the Unknown Put list, one Unknown Cas list per value.
    private readonly int _nodeCount;
    private readonly int[] _operationOf;
    private readonly int[] _returnOf; // an Ok operation's call: its return node; any other node: End

    // The lists, sharing one pair of link arrays (a node is in exactly one list). Invariant: each list holds the
    // not-yet-linearized nodes that belong to it, in node (time) order.
    private readonly int[] _next;
    private readonly int[] _previous;

    // Each operation's bit: its index among the Ok operations or among the Unknown ones.
    private readonly int[] _bitOf;

    // The search position. Invariant: the operations of _stackCall[0.._depth) are exactly the bits set in _known
    // and _unknown, in linearization order; _stackState[i] is the state before the i-th and _stackBlocking[i] the
    // return that was blocking when it was placed; _knownHash is the XOR of the OperationHash of _known's bits.
    private readonly ConfigurationMemo _memo;
    private readonly ulong[] _known;
    private readonly ulong[] _unknown;
    private readonly int[] _stackCall;
    private readonly int[] _stackState;
    private readonly int[] _stackBlocking;
    private int _depth;
    private int _state;
    private ulong _knownHash;

    // Operations not linearized yet, by outcome. When no Ok one is left, the search has succeeded.
    private int _knownRemaining;
    private int _unknownRemaining;

    private RegisterSearch(RegisterHistory history)
    {
        _steps = history.Steps;
        int n = _steps.Length;
        _bitOf = new int[n];
        for (int i = 0; i < n; i++)
        {
            _bitOf[i] = _steps[i].Unknown ? _unknownRemaining++ : _knownRemaining++;
        }
        _nodeCount = 2 * _knownRemaining + _unknownRemaining;
        _operationOf = new int[_nodeCount];
        _returnOf = new int[_nodeCount];
        int links = _nodeCount + 2 + history.ValueCount;
        _next = new int[links];
        _previous = new int[links];
        BuildLists(history.Operations);
        int knownWords = Math.Max(1, (_knownRemaining + 63) >> 6);
        int unknownWords = Math.Max(1, (_unknownRemaining + 63) >> 6);
        _memo = new ConfigurationMemo(knownWords, unknownWords);
        _known = new ulong[knownWords];
        _unknown = new ulong[unknownWords];
        _stackCall = new int[n];
        _stackState = new int[n];
        _stackBlocking = new int[n];
    }

    private int KnownHead => _nodeCount;

    private int PutsHead => _nodeCount + 1;

    private int CasHead(int expected) => _nodeCount + 2 + expected;

    /// <summary>
    /// Searches <paramref name="history"/> for a linearization within <paramref name="stepBudget"/> steps. With
    /// <paramref name="explain"/>, a NotLinearizable result carries the deepest dead end (for reports; it costs a
    /// copy of the prefix each time the search gets deeper).
    /// </summary>
    public static SearchResult Run(RegisterHistory history, long stepBudget, bool explain)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfNegative(stepBudget);
        return new RegisterSearch(history).Search(stepBudget, explain);
    }

    private void BuildLists(KvOperation[] operations)
    {
        var events = new (long Time, int IsReturn, int Operation)[_nodeCount];
        int count = 0;
        for (int i = 0; i < _steps.Length; i++)
        {
            events[count++] = (operations[i].InvokeTime, 0, i);
            if (!_steps[i].Unknown)
            {
                events[count++] = (operations[i].ResponseTime, 1, i);
            }
        }
        Invariant.Check(count == _nodeCount, "RegisterSearch: event count");
        Array.Sort(events);
        Array.Fill(_next, End);
        Array.Fill(_previous, End);
        var tails = new int[_next.Length];
        for (int head = _nodeCount; head < tails.Length; head++)
        {
            tails[head] = head;
        }
        var callNode = new int[_steps.Length];
        for (int node = 0; node < _nodeCount; node++)
        {
            int operation = events[node].Operation;
            RegisterStep step = _steps[operation];
            _operationOf[node] = operation;
            _returnOf[node] = End;
            if (events[node].IsReturn == 0)
            {
                callNode[operation] = node;
            }
            else
            {
                _returnOf[callNode[operation]] = node;
            }
            int head = !step.Unknown ? KnownHead : step.Kind == KvOperationKind.Put ? PutsHead : CasHead(step.Expected);
            _next[tails[head]] = node;
            _previous[node] = tails[head];
            tails[head] = node;
        }
    }

    private SearchResult Search(long stepBudget, bool explain)
    {
        long steps = 0;
        DeadEnd? deepest = null;
        Phase phase = Phase.Known;
        int entry = _next[KnownHead];
        int blocking = End;
        while (_knownRemaining > 0)
        {
            if (++steps > stepBudget)
            {
                return new SearchResult(LinearizabilityStatus.Unknown, steps - 1, null);
            }
            if (phase == Phase.Known && _returnOf[entry] == End)
            {
                // A return: that operation must already be linearized. Try the Unknown ones invoked before it
                // (no Put when restricted: see DependsOnTop).
                (blocking, phase, entry) = IsRestricted ? (entry, Phase.Cas, _next[CasHead(_state)]) : (entry, Phase.Puts, _next[PutsHead]);
                continue;
            }
            if (phase != Phase.Known && (entry == End || entry > blocking))
            {
                if (phase == Phase.Puts)
                {
                    (phase, entry) = (Phase.Cas, _next[CasHead(_state)]);
                    continue;
                }
                if (explain && (deepest is null || _depth > deepest.Prefix.Length))
                {
                    deepest = RecordDeadEnd(blocking);
                }
                if (_depth == 0)
                {
                    return new SearchResult(LinearizabilityStatus.NotLinearizable, steps, deepest);
                }
                (entry, phase, blocking) = Backtrack();
                continue;
            }
            if (TryLinearize(entry, blocking))
            {
                (phase, entry) = (Phase.Known, _next[KnownHead]);
            }
            else
            {
                entry = _next[entry];
            }
        }
        Invariant.Check(_depth + _unknownRemaining == _steps.Length, "RegisterSearch: operations lost between stack and lists");
        return new SearchResult(LinearizabilityStatus.Linearizable, steps, null);
    }

    /// <summary>
    /// Linearizes the operation of <paramref name="call"/> now if that is legal and leads to a configuration worth
    /// exploring; returns whether it did. Two prunings, both sound because an Unknown operation can always be moved
    /// to the end of a linearization (it is always legal, and no response bounds it): an Unknown operation that
    /// would not change the state is skipped (the configuration without it allows everything the one with it
    /// allows), and so is a configuration the memo covers (<see cref="ConfigurationMemo.Covers"/>).
    /// </summary>
    private bool TryLinearize(int call, int blocking)
    {
        int operation = _operationOf[call];
        RegisterStep step = _steps[operation];
        if (!step.TryApply(_state, out int nextState) || (step.Unknown && nextState == _state))
        {
            return false;
        }
        if (IsRestricted && !DependsOnTop(step))
        {
            return false;
        }
        int bit = _bitOf[operation];
        ulong knownHash = step.Unknown ? _knownHash : _knownHash ^ ConfigurationMemo.OperationHash(bit);
        int key = _memo.Find(_known, step.Unknown ? -1 : bit, knownHash, nextState);
        if (key >= 0 && _memo.Covers(key, _unknown, step.Unknown ? bit : -1))
        {
            return false;
        }
        _stackCall[_depth] = call;
        _stackState[_depth] = _state;
        _stackBlocking[_depth] = blocking;
        _depth++;
        _state = nextState;
        _knownHash = knownHash;
        ulong[] bits = step.Unknown ? _unknown : _known;
        bits[bit >> 6] |= 1UL << bit;
        if (step.Unknown)
        {
            _unknownRemaining--;
        }
        else
        {
            _knownRemaining--;
        }
        Lift(call);
        return true;
    }

    /// <summary>
    /// True when the last operation placed is Unknown. Then the next one must depend on it (<see cref="DependsOnTop"/>),
    /// and the configuration is not remembered as failed when left (it was explored only partly).
    /// </summary>
    private bool IsRestricted => _depth > 0 && _steps[_operationOf[_stackCall[_depth - 1]]].Unknown;

    /// <summary>
    /// Whether <paramref name="step"/>, legal now, could not simply have gone before the Unknown operation just placed
    /// (which changed the state from <c>_stackState[_depth - 1]</c> to <c>_state</c>). An Unknown operation in a
    /// linearization that is followed by an operation independent of it can swap places with that operation, or, if
    /// that operation is a Put, go to the end; repeating this moves every Unknown operation either next to an
    /// operation that depends on it or after all Ok operations, where the search no longer needs it. So only such
    /// "canonical" linearizations need searching: after an Unknown operation, only a Get or an Ok successful Cas
    /// (legal now, so they see its value), an Ok failed Cas that was illegal before it, or an Unknown Cas that now
    /// applies. Puts never qualify.
    /// </summary>
    private bool DependsOnTop(RegisterStep step) => step.Kind switch
    {
        KvOperationKind.Get => true,
        KvOperationKind.Put => false,
        _ => step.Unknown || step.CasSucceeded || step.Expected == _stackState[_depth - 1],
    };

    /// <summary>
    /// Records the current configuration as failed, undoes the most recent linearization, and returns where the walk
    /// resumes: after its call, in the phase and with the blocking return it was placed in.
    /// </summary>
    private (int Entry, Phase Phase, int Blocking) Backtrack()
    {
        if (!IsRestricted)
        {
            _memo.Add(_known, _knownHash, _state, _unknown);
        }
        _depth--;
        int call = _stackCall[_depth];
        _state = _stackState[_depth];
        int operation = _operationOf[call];
        RegisterStep step = _steps[operation];
        int bit = _bitOf[operation];
        if (step.Unknown)
        {
            _unknown[bit >> 6] &= ~(1UL << bit);
            _unknownRemaining++;
        }
        else
        {
            _known[bit >> 6] &= ~(1UL << bit);
            _knownHash ^= ConfigurationMemo.OperationHash(bit);
            _knownRemaining++;
        }
        Unlift(call);
        Phase phase = !step.Unknown ? Phase.Known : step.Kind == KvOperationKind.Put ? Phase.Puts : Phase.Cas;
        return (_next[call], phase, _stackBlocking[_depth]);
    }

    /// <summary>Takes a call, and an Ok operation's return, out of their lists (the operation is now linearized).</summary>
    private void Lift(int call)
    {
        Remove(call);
        if (_returnOf[call] != End)
        {
            Remove(_returnOf[call]);
        }
    }

    /// <summary>Puts back what <see cref="Lift"/> took out; lifts must be undone in reverse order (dancing links).</summary>
    private void Unlift(int call)
    {
        if (_returnOf[call] != End)
        {
            Restore(_returnOf[call]);
        }
        Restore(call);
    }

    private void Remove(int node)
    {
        _next[_previous[node]] = _next[node];
        if (_next[node] != End)
        {
            _previous[_next[node]] = _previous[node];
        }
    }

    private void Restore(int node)
    {
        _next[_previous[node]] = node;
        if (_next[node] != End)
        {
            _previous[_next[node]] = node;
        }
    }

    private DeadEnd RecordDeadEnd(int blocking)
    {
        var prefix = new int[_depth];
        for (int i = 0; i < _depth; i++)
        {
            prefix[i] = _operationOf[_stackCall[i]];
        }
        var candidates = new List<int>();
        AddCandidates(candidates, KnownHead, blocking);
        AddCandidates(candidates, PutsHead, blocking);
        AddCandidates(candidates, CasHead(_state), blocking);
        return new DeadEnd(prefix, _operationOf[blocking], [.. candidates]);
    }

    /// <summary>
    /// Adds the operations of the calls in list <paramref name="head"/> that come before <paramref name="blocking"/>,
    /// except the blocked operation itself.
    /// </summary>
    private void AddCandidates(List<int> candidates, int head, int blocking)
    {
        for (int node = _next[head]; node != End && node < blocking; node = _next[node])
        {
            bool call = head != KnownHead || _returnOf[node] != End;
            if (call && _operationOf[node] != _operationOf[blocking])
            {
                candidates.Add(_operationOf[node]);
            }
        }
    }
}

/// <summary>What <see cref="RegisterSearch.Run"/> found, and in how many steps.</summary>
internal sealed record SearchResult(LinearizabilityStatus Status, long Steps, DeadEnd? Deepest);

/// <summary>
/// The deepest point a failed search reached, as indexes into <see cref="RegisterHistory.Operations"/>:
/// a linearizable prefix, the operation whose response came next without it having been placed
/// (<see cref="Blocked"/>), and the other operations that could have gone next at that point.
/// </summary>
internal sealed record DeadEnd(int[] Prefix, int Blocked, int[] Candidates);
