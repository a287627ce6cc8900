using Tusk.Core;
using Tusk.Raft.Kv;
using Tusk.Simulation.Checkers;

namespace Tusk.Simulation.Raft;

/// <summary>
/// A closed-loop client of the simulated KV store: one operation at a time (get, put or compare-and-set on a small
/// key set, unique values), retried with the same command on another node after a timeout, a "not leader" or a
/// "retry"; given up after a deadline. Every operation is recorded in the run's history for the checker: a write
/// given up on is of unknown outcome (it may still apply), a read given up on is dropped.
/// </summary>
internal sealed class SimKvClient
{
    private readonly RaftKvSimulation _sim;
    private readonly IRandom _random;
    private readonly string?[] _lastSeen;
    private ulong _sequence;
    private ulong _attempt;
    private int _target;
    private KvCommand? _command;
    private int _historyId;
    private long _deadline;
    private bool _stopped;

    public SimKvClient(RaftKvSimulation sim, int id, IRandom random)
    {
        _sim = sim;
        Id = id;
        _random = random;
        _lastSeen = new string?[sim.Options.Keys];
        _target = 1 + (int)SimRandom.Below(random, sim.Options.Nodes);
    }

    public int Id { get; }

    public int Completed { get; private set; }

    public int GaveUp { get; private set; }

    public bool IsIdle => _command is null;

    public void Start() => _sim.Executor.Schedule(SimRandom.Between(_random, 0, 5_000), NextOperation);

    /// <summary>Ends the workload; an operation in flight is recorded as given up.</summary>
    public void Stop()
    {
        _stopped = true;
        if (_command is not null) GiveUp(countAsGivenUp: false);  // cut off by the end of the run, not by a fault
    }

    /// <summary>Runs one more operation (the liveness probe) and calls <paramref name="done"/> when it completes.</summary>
    public void Probe(string key, string value, Action done)
    {
        _stopped = false;
        _onDone = done;
        Begin(new KvCommand(KvOp.Put, (ulong)Id, ++_sequence, key, value));
    }

    private Action? _onDone;

    private void NextOperation()
    {
        if (_stopped || _command is not null) return;
        var keyIndex = (int)SimRandom.Below(_random, _sim.Options.Keys);
        var key = "k" + keyIndex;
        var value = $"c{Id}.{_sequence + 1}";
        var roll = _random.NextDouble();
        var command = roll switch
        {
            < 0.4 => new KvCommand(KvOp.Get, (ulong)Id, ++_sequence, key),
            < 0.75 => new KvCommand(KvOp.Put, (ulong)Id, ++_sequence, key, value),
            _ => new KvCommand(KvOp.Cas, (ulong)Id, ++_sequence, key, value, SimRandom.Chance(_random, 0.8) ? _lastSeen[keyIndex] : "c0.0"),
        };
        Begin(command);
    }

    private void Begin(KvCommand command)
    {
        var now = _sim.Executor.NowMicros;
        _command = command;
        _deadline = now + _sim.Options.ClientOperationDeadlineMicros;
        _historyId = command.Op switch
        {
            KvOp.Get => _sim.History.InvokeGet(Id, command.Key, now),
            KvOp.Put => _sim.History.InvokePut(Id, command.Key, command.Value, now),
            _ => _sim.History.InvokeCas(Id, command.Key, command.Expected, command.Value, now),
        };
        SendAttempt();
    }

    private void SendAttempt()
    {
        var attempt = ++_attempt;
        _sim.Network.Send(Id, _target, new SimEnvelope { Request = new ClientRequest(Id, attempt, _command!) });
        _sim.Executor.Schedule(_sim.Options.ClientAttemptTimeoutMicros, () =>
        {
            if (_attempt == attempt && _command is not null) RetryElsewhere(0);
        });
    }

    public void Deliver(SimEnvelope envelope)
    {
        if (envelope.Reply is not { } reply || reply.Attempt != _attempt || _command is null) return;
        switch (reply.Status)
        {
            case KvAnswer.Ok:
                Complete(reply.Result);
                break;
            case KvAnswer.NotLeader:
                RetryElsewhere(reply.LeaderHint);
                break;
            case KvAnswer.Retry:
                RetryAfterBackoff(_target);
                break;
        }
    }

    private void RetryElsewhere(ulong hint)
    {
        var next = hint != 0 && (int)hint != _target ? (int)hint : 1 + (int)SimRandom.Below(_random, _sim.Options.Nodes);
        RetryAfterBackoff(next);
    }

    private void RetryAfterBackoff(int target)
    {
        var attempt = ++_attempt;  // answers to the previous attempt are ignored from now on
        if (_sim.Executor.NowMicros >= _deadline)
        {
            GiveUp();
            return;
        }
        _target = target;
        _sim.Executor.Schedule(SimRandom.Between(_random, 1_000, 20_000), () =>
        {
            if (_attempt == attempt && _command is not null) SendAttempt();
        });
    }

    private void Complete(KvResult result)
    {
        var command = _command!;
        var now = _sim.Executor.NowMicros;
        var keyIndex = KeyIndex(command.Key);
        switch (command.Op)
        {
            case KvOp.Get:
                _sim.History.CompleteGet(_historyId, result.Value, now);
                if (result.Value is not null && keyIndex >= 0) _lastSeen[keyIndex] = result.Value;
                break;
            case KvOp.Put:
                _sim.History.CompletePut(_historyId, now);
                if (keyIndex >= 0) _lastSeen[keyIndex] = command.Value!;
                break;
            default:
                _sim.History.CompleteCas(_historyId, result.Succeeded, now);
                if (keyIndex >= 0) _lastSeen[keyIndex] = result.Succeeded ? command.Value : result.Value;
                break;
        }
        Completed++;
        Finish();
    }

    private void GiveUp(bool countAsGivenUp = true)
    {
        if (_command!.Op == KvOp.Get) _sim.History.Fail(_historyId, _sim.Executor.NowMicros);
        else _sim.History.Timeout(_historyId);
        if (countAsGivenUp) GaveUp++;
        Finish();
    }

    private void Finish()
    {
        _command = null;
        _attempt++;
        if (_onDone is { } done)
        {
            _onDone = null;
            _stopped = true;
            done();
            return;
        }
        if (!_stopped) _sim.Executor.Schedule(SimRandom.Between(_random, 1, 10_000), NextOperation);  // >= 1 µs: the checker treats equal times as concurrent
    }

    private static int KeyIndex(string key) => key.Length > 1 && key[0] == 'k' && int.TryParse(key.AsSpan(1), out var i) ? i : -1;
}
