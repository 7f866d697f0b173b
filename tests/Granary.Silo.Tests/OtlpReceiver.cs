using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Granary.Silo.Tests;

/// <summary>
/// A stand-in OTLP/HTTP collector on a free loopback port: it answers every export with 200 and keeps each
/// request's body by path (/v1/metrics, /v1/traces), for tests to look into. Thread-safe.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string Path, byte[] Body)> _received = new();
    private WebApplication? _app;

    public int Port { get; } = PortPicker.Pick(IPAddress.Loopback);

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            _received.Enqueue((context.Request.Path.Value ?? string.Empty, body.ToArray()));
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/x-protobuf";
        });
        await _app.StartAsync().WithTimeout();
    }

    /// <summary>Whether an export to <paramref name="path"/> held every one of <paramref name="needles"/> (protobuf keeps strings and ids as plain bytes).</summary>
    public bool Received(string path, params byte[][] needles) =>
        _received.Any(r => r.Path == path && needles.All(n => r.Body.AsSpan().IndexOf(n) >= 0));

    public string Summary() => string.Join(", ", _received.GroupBy(r => r.Path).Select(g => $"{g.Key} x{g.Count()}"));

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
