namespace Tusk.Cli;

/// <summary>Process exit codes of the <c>tusk</c> command.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>A runtime error: I/O failure, corruption, locked data directory, key not found.</summary>
    public const int Failure = 1;

    /// <summary>Bad usage: unknown command or option, malformed argument, invalid option value.</summary>
    public const int Usage = 2;
}
