using System.Text;
using Tusk.Core.IO;
using Tusk.Testing;
using Xunit;

namespace Tusk.Simulation.Tests;

/// <summary>
/// Scripts in testdata/simfs drive a <see cref="SimFileSystem"/> and print what a crash leaves. Commands:
/// <c>new seed=N</c>, <c>mkdir p</c>, <c>write p data=s [at=N]</c> (appends without at), <c>truncate p len=N</c>,
/// <c>sync p</c>, <c>syncdir d</c>, <c>rename a b</c>, <c>delete p</c>, <c>crash [tear] [corrupt]</c>,
/// <c>cat p</c>, <c>ls d</c>, <c>describe</c>, <c>fail kinds=(Write, Sync) [after=N]</c>, <c>clear-faults</c>.
/// Each command opens and closes its own handle. Errors print as <c>error: ExceptionType</c>.
/// </summary>
public sealed class SimFileSystemGoldenTests
{
    public static IEnumerable<object[]> Files => DataDriven.FilesIn("testdata/simfs");

    [Theory]
    [MemberData(nameof(Files))]
    public void Run(string path)
    {
        var fs = new SimFileSystem(0);
        DataDriven.RunFile(path, c =>
        {
            try
            {
                return Handle(ref fs, c);
            }
            catch (IOException e)
            {
                return $"error: {e.GetType().Name}";
            }
        });
    }

    private static string Arg(TestCase c, int index) =>
        index < c.Args.Count && c.Args[index].Values.Count == 0 ? c.Args[index].Key : throw c.Error($"expected a path as argument {index + 1}");

    private static string Handle(ref SimFileSystem fs, TestCase c)
    {
        switch (c.Command)
        {
            case "new":
                fs = new SimFileSystem((ulong)c.GetLong("seed"));
                return "ok";
            case "mkdir":
                fs.CreateDirectory(Arg(c, 0));
                return "ok";
            case "write":
                using (var f = fs.Open(Arg(c, 0), FileOpenMode.OpenOrCreate))
                {
                    byte[] data = Encoding.UTF8.GetBytes(c.GetArg("data"));
                    if (c.HasArg("at"))
                    {
                        f.WriteAt(c.GetLong("at"), data);
                    }
                    else
                    {
                        f.Append(data);
                    }
                }
                return "ok";
            case "truncate":
                using (var f = fs.Open(Arg(c, 0), FileOpenMode.OpenExisting))
                {
                    f.Truncate(c.GetLong("len"));
                }
                return "ok";
            case "sync":
                using (var f = fs.Open(Arg(c, 0), FileOpenMode.OpenExisting))
                {
                    f.Sync();
                }
                return "ok";
            case "syncdir":
                fs.SyncDirectory(Arg(c, 0));
                return "ok";
            case "rename":
                fs.Rename(Arg(c, 0), Arg(c, 1));
                return "ok";
            case "delete":
                fs.Delete(Arg(c, 0));
                return "ok";
            case "crash":
                fs.Crash(new CrashOptions { TearProbability = c.HasArg("tear") ? 1 : 0, CorruptTornBytes = c.HasArg("corrupt") });
                return "ok";
            case "cat":
                return Escape(fs.ReadAll(Arg(c, 0)));
            case "ls":
                return string.Join('\n', fs.List(Arg(c, 0)));
            case "describe":
                return fs.Describe();
            case "fail":
                var kinds = SimOperationKind.None;
                foreach (string kind in c.GetArgValues("kinds"))
                {
                    kinds |= Enum.Parse<SimOperationKind>(kind);
                }
                fs.FailAfter(c.GetInt("after", 0), kinds);
                return "ok";
            case "clear-faults":
                fs.ClearFaults();
                return "ok";
            default:
                throw c.Error("unknown command");
        }
    }

    // Printable ASCII as is, anything else as \xHH, so torn and corrupted bytes stay readable.
    private static string Escape(byte[] bytes)
    {
        var text = new StringBuilder();
        foreach (byte b in bytes)
        {
            if (b is >= 0x20 and < 0x7f && b != '\\')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append($"\\x{b:x2}");
            }
        }
        return text.ToString();
    }
}
