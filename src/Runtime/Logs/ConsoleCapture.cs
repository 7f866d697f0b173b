namespace Granary.Runtime.Logs;

/// <summary>
/// Puts <see cref="TaskConsoleWriter"/>s in front of the process's Console once, when the first silo or
/// worker process starts here; what no task writes still reaches the original console. Thread-safe.
/// </summary>
internal static class ConsoleCapture
{
    private static readonly Lock _gate = new();
    private static TextWriter? _out;
    private static TextWriter? _err;

    /// <summary>The process's console as it was before capture (where a task's lines go when nothing ships them).</summary>
    public static TextWriter Out => _out ?? Console.Out;

    public static TextWriter Error => _err ?? Console.Error;

    public static void Install()
    {
        lock (_gate)
        {
            if (_out is not null)
            {
                return;
            }

            _out = Console.Out;
            _err = Console.Error;
            Console.SetOut(new TaskConsoleWriter(_out, stderr: false));
            Console.SetError(new TaskConsoleWriter(_err, stderr: true));
        }
    }
}
