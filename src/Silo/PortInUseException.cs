namespace Granary.Silo;

/// <summary>
/// A port the silo was told to listen on is taken. `granary start` prints only this message (one line), so it
/// names the port, which of the two it is, and what to do.
/// </summary>
internal sealed class PortInUseException(string ports, Exception? inner = null, string flag = "--port")
    : InvalidOperationException($"{ports} is in use; pick another with {flag} or stop what holds it", inner);
