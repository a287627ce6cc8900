using Tusk.Simulation;
using Xunit;

namespace Tusk.Simulation.Tests;

public sealed class SimDirectoryTests
{
    [Fact]
    public void ListsSubdirectoriesAtAnyDepthIncludingTheRoot()
    {
        var fs = new SimFileSystem(1);
        fs.CreateDirectory("/a/b");
        fs.CreateDirectory("/a/c");
        fs.CreateDirectory("/z");
        Assert.Equal(["a", "z"], fs.ListDirectories("/"));
        Assert.Equal(["b", "c"], fs.ListDirectories("/a"));
        Assert.Empty(fs.ListDirectories("/a/b"));
        Assert.Empty(fs.ListDirectories("/missing"));
    }

    [Fact]
    public void DeletesOnlyEmptyDirectories()
    {
        var fs = new SimFileSystem(2);
        fs.CreateDirectory("/a/b");
        using (var f = fs.Open("/a/b/file", Tusk.Core.IO.FileOpenMode.CreateNew))
        {
            f.Append([1, 2, 3]);
        }
        Assert.Throws<IOException>(() => fs.DeleteDirectory("/a/b"));
        Assert.Throws<IOException>(() => fs.DeleteDirectory("/a"));
        fs.Delete("/a/b/file");
        fs.DeleteDirectory("/a/b");
        Assert.Empty(fs.ListDirectories("/a"));
        fs.DeleteDirectory("/a/b"); // already gone: no error
    }
}
