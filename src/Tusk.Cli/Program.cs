using System.Text;
using Tusk.Cli;

// stdout is block-buffered (scan and bench print many lines); commands that must be seen promptly
// (start, kv fill) flush explicitly. stderr stays unbuffered.
var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false, NewLine = "\n" };
int exitCode = TuskCommand.Run(args, stdout, Console.Error);
try
{
    stdout.Flush();
}
catch (IOException)
{
    // stdout closed by the reader (e.g. `tusk kv scan | head`): nothing left to report.
}
return exitCode;
