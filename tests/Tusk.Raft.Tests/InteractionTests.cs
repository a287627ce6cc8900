using Tusk.Testing;
using Xunit;

namespace Tusk.Raft.Tests;

/// <summary>Golden interaction scripts in testdata/interaction; see <see cref="InteractionEnv"/> for the commands.</summary>
public sealed class InteractionTests
{
    public static IEnumerable<object[]> Files => DataDriven.FilesIn("testdata/interaction");

    [Theory]
    [MemberData(nameof(Files))]
    public void Run(string path)
    {
        var env = new InteractionEnv();
        DataDriven.RunFile(path, env.Handle);
    }
}
