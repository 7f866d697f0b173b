namespace Granary.Grains.Drivers;

/// <summary>
/// The `dotnet` host a submitted driver runs under: the one that runs this silo (DOTNET_HOST_PATH, else the
/// host beside the shared runtime this process loaded), so a node with several SDKs runs the app on the
/// runtime Granary itself runs on; `dotnet` from PATH only when neither is found. Stateless, thread-safe.
/// </summary>
internal static class DotnetHost
{
    public static string Find()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        // .../dotnet/shared/Microsoft.NETCore.App/10.0.x/ -> .../dotnet/dotnet
        var beside = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        return File.Exists(beside) ? beside : "dotnet";
    }
}
