namespace Tusk.Cli;

/// <summary>A runtime failure reported as one line on stderr with exit code <see cref="ExitCodes.Failure"/>.</summary>
internal sealed class CliException : Exception
{
    public CliException() { }

    public CliException(string message) : base(message) { }

    public CliException(string message, Exception innerException) : base(message, innerException) { }
}
