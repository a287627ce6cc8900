namespace Tusk.Simulation;

/// <summary>
/// A network fault in force (a partition, a one-way block, an isolation), returned by the
/// <see cref="ISimNetworkFaults"/> method that made it. <see cref="Heal"/> undoes exactly this fault: faults are
/// counted per link, so healing one partition leaves a link cut by another still cut. A global
/// <see cref="ISimNetworkFaults.Heal"/> ends every fault at once, after which healing an older handle does nothing.
/// </summary>
public sealed class NetworkFault
{
    private Action? _heal;

    internal NetworkFault(string description, Action heal)
    {
        Description = description;
        _heal = heal;
    }

    /// <summary>What the fault is, e.g. <c>partition [1 2] [3]</c>; deterministic, for traces.</summary>
    public string Description { get; }

    /// <summary>True until <see cref="Heal"/> is called (a global heal also ends it, but is not reflected here).</summary>
    public bool IsActive => _heal is not null;

    /// <summary>Undoes the fault; idempotent.</summary>
    public void Heal()
    {
        Action? heal = _heal;
        _heal = null;
        heal?.Invoke();
    }

    /// <inheritdoc />
    public override string ToString() => Description;
}
