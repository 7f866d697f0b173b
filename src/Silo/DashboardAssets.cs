using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace Granary.Silo;

/// <summary>
/// The dashboard's page, script and style sheet, embedded in this assembly (Dashboard/ in the source) so the
/// head needs no files beside it and the page loads nothing from elsewhere. Each is read once. Thread-safe.
/// </summary>
internal static class DashboardAssets
{
    private static readonly ConcurrentDictionary<string, byte[]> Loaded = new(StringComparer.Ordinal);

    public static async Task WriteAsync(HttpContext context, string name, string contentType)
    {
        var bytes = Loaded.GetOrAdd(name, Read);
        context.Response.ContentType = contentType;
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static byte[] Read(string name)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream("Granary.Silo.Dashboard." + name)
            ?? throw new InvalidOperationException($"the dashboard's {name} is not embedded in {typeof(DashboardAssets).Assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
