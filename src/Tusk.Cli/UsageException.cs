namespace Tusk.Cli;

/// <summary>
/// The command line is wrong (unknown command or option, missing or malformed argument). The host prints
/// <see cref="Exception.Message"/> and <see cref="Usage"/> to stderr and exits with <see cref="ExitCodes.Usage"/>.
/// </summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message, string usage)
        : base(message)
    {
        Usage = usage;
    }

    public UsageException() : this("bad usage", HelpText.Main) { }

    public UsageException(string message) : this(message, HelpText.Main) { }

    public UsageException(string message, Exception innerException) : base(message, innerException)
    {
        Usage = HelpText.Main;
    }

    /// <summary>The usage text of the command that was being parsed.</summary>
    public string Usage { get; }
}
