using System.Runtime.InteropServices;

namespace Granary.Silo;

/// <summary>
/// A token cancelled by SIGINT (Ctrl+C) or SIGTERM, for commands that stop what they do and exit
/// themselves (`granary run`, `granary status --watch`) instead of being killed mid-write. Dispose
/// unregisters the handlers.
/// </summary>
internal sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public SignalCancellation()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Token => _stop.Token;

    public bool IsCancellationRequested => _stop.IsCancellationRequested;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _stop.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // The command ends itself; the default action would kill the process at once.
        context.Cancel = true;
        _stop.Cancel();
    }
}
