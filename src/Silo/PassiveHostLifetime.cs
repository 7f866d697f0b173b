using Microsoft.Extensions.Hosting;

namespace Granary.Silo;

/// <summary>
/// Keeps the web host from taking over Ctrl+C and SIGTERM: an embedded silo must not stop when its host
/// application is signalled, and the `granary` command handles signals itself.
/// </summary>
internal sealed class PassiveHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
