namespace Tusk.Sql.Functions;

/// <summary>
/// What a statement's functions may read besides their arguments: the clocks, the session time zone and the random
/// source. The executor makes one per statement; functions never read the OS clock or a global RNG (STYLE.md C3), so
/// a statement replays identically under simulation. Not thread-safe (Random is not).
/// </summary>
public sealed class FunctionContext
{
    /// <summary>UTC; now(), current_timestamp, transaction_timestamp(): fixed for the whole transaction.</summary>
    public DateTime TransactionTimestamp { get; init; }

    /// <summary>UTC; statement_timestamp(), and clock_timestamp() (which has no clock of its own here).</summary>
    public DateTime StatementTimestamp { get; init; }

    /// <summary>The session TimeZone: timestamptz → timestamp/date conversions, date_trunc/date_part on timestamptz, to_char.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>random(); the executor must set it (seeded under simulation).</summary>
    public Random Random { get; init; } = null!;
}
