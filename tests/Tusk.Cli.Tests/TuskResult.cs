namespace Tusk.Cli.Tests;

/// <summary>The output of a finished <c>tusk</c> process.</summary>
public sealed record TuskResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stdout split into lines (without the final empty one).</summary>
    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}
