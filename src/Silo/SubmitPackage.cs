using System.Diagnostics;
using System.IO.Compression;

namespace Granary.Silo;

/// <summary>
/// What `granary submit` ships: the folder of the app's build output, zipped, and the arguments that follow
/// `dotnet` on the node (the entry assembly's file name, then the app's). A project is built first with
/// `dotnet build -c Release`, and its output folder is shipped. Not thread-safe; made once per submit.
/// </summary>
internal sealed record SubmitPackage(string Folder, IReadOnlyList<string> Arguments, string Entrypoint)
{
    /// <summary>The folder and arguments of <paramref name="command"/>; a command of neither form throws ArgumentException (exit 2).</summary>
    public static async Task<SubmitPackage> ResolveAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var entrypoint = string.Join(' ', command);
        var rest = command.Count > 0 && command[0] == "dotnet" ? command.Skip(1).ToList() : command.ToList();
        if (rest.Count == 0)
        {
            throw new ArgumentException(Forms("granary submit needs a command after --"));
        }

        var target = rest[0];
        if (target.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            var dll = Path.GetFullPath(target);
            if (!File.Exists(dll))
            {
                throw new ArgumentException($"there is no {dll} to submit (build the app first, or submit its project)");
            }

            return new SubmitPackage(Path.GetDirectoryName(dll)!, [Path.GetFileName(dll), .. rest.Skip(1)], entrypoint);
        }

        var project = ProjectOf(target) ?? throw new ArgumentException(Forms($"'{target}' is neither a .dll nor a project"));
        var built = await BuildAsync(project, cancellationToken).ConfigureAwait(false);
        return new SubmitPackage(Path.GetDirectoryName(built)!, [Path.GetFileName(built), .. rest.Skip(1)], entrypoint);
    }

    /// <summary>Zips the folder into a temp file; the caller deletes it.</summary>
    public string Zip()
    {
        var zip = Path.Combine(Path.GetTempPath(), "granary-submit-" + Guid.NewGuid().ToString("N")[..12] + ".zip");
        ZipFile.CreateFromDirectory(Folder, zip, CompressionLevel.Fastest, includeBaseDirectory: false);
        return zip;
    }

    private static string Forms(string problem) =>
        $"{problem}: `granary submit -- dotnet PATH.dll ARGS` ships the folder of PATH.dll, `granary submit -- PROJECT.csproj ARGS` (or a folder with one project) builds it with `dotnet build -c Release` and ships its output";

    private static string? ProjectOf(string target)
    {
        if (File.Exists(target) && Path.GetExtension(target) is ".csproj" or ".fsproj" or ".vbproj")
        {
            return Path.GetFullPath(target);
        }

        if (Directory.Exists(target))
        {
            var projects = Directory.GetFiles(target, "*.*proj");
            return projects.Length == 1
                ? Path.GetFullPath(projects[0])
                : throw new ArgumentException(Forms($"the folder {target} holds {projects.Length} projects, not one"));
        }

        return null;
    }

    /// <summary>Builds the project in Release and returns its entry assembly; a failed build throws with dotnet's exit code.</summary>
    private static async Task<string> BuildAsync(string project, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine($"granary submit: building {project} (dotnet build -c Release)");
        var (code, output) = await DotnetAsync(cancellationToken, "build", project, "-c", "Release", "-nologo", "-v", "quiet").ConfigureAwait(false);
        if (code != 0)
        {
            Console.Error.WriteLine(output);
            throw new InvalidOperationException($"dotnet build -c Release {project} failed with exit code {code}; nothing was submitted");
        }

        var (_, path) = await DotnetAsync(cancellationToken, "msbuild", project, "-nologo", "-p:Configuration=Release", "-getProperty:TargetPath").ConfigureAwait(false);
        var dll = path.Trim();
        return File.Exists(dll) && dll.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? dll
            : throw new InvalidOperationException($"dotnet build -c Release {project} made no entry assembly (TargetPath is '{dll}'); is it an app (OutputType Exe)?");
    }

    private static async Task<(int Code, string Output)> DotnetAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet to build the project");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }
}
