using Xunit;

namespace Tusk.Cli.Tests;

/// <summary>Tests that start child processes run one at a time (2-core machines, timing-sensitive crash tests).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "tusk processes";
}
