using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Granary.Grains.Tests;

/// <summary>
/// Runs a private, throwaway redis-server on a free loopback port for the tests that share this fixture.
/// Nothing is persisted: no RDB snapshots, no AOF, and its working directory is a temporary folder removed
/// on dispose. The readiness check speaks raw RESP so the fixture does not depend on the client under test.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly StringBuilder _log = new();
    private Process? _process;
    private string? _directory;
    private string? _executable;

    /// <summary>The server's <c>host:port</c>, e.g. <c>127.0.0.1:40123</c>.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        _executable = FindRedisServer() ?? throw new InvalidOperationException(
            "redis-server was not found on PATH or at /usr/bin/redis-server. The Redis tests run against a real "
            + "server; install it with `apt-get install -y redis-server`.");
        _directory = Directory.CreateTempSubdirectory("granary-redis-").FullName;

        // Another process can take the free port between our probe and redis-server binding it, so a
        // server that dies at start gets a fresh port a couple of times before we give up.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreeLoopbackPort();
            try
            {
                await StartAsync().ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && _process is { HasExited: true })
            {
                await StopAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Kills the server and starts a new, empty one on the same port, as a Redis restart would.</summary>
    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartAsync().ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_directory is not null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover empty temp folder is not worth failing a test run over.
            }
        }
    }

    private async Task StartAsync()
    {
        var start = new ProcessStartInfo(_executable!)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", _directory!,
            "--loglevel", "warning",
        })
        {
            start.ArgumentList.Add(arg);
        }

        lock (_log)
        {
            _log.Clear();
        }

        var process = new Process { StartInfo = start };
        // Drained as it comes so a chatty server never blocks on a full pipe; kept for failure messages.
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"redis-server exited with code {process.ExitCode} while starting on port {Port}:\n{Log()}");
            }

            if (await AnswersPingAsync().ConfigureAwait(false))
            {
                return;
            }

            if (deadline.Elapsed > StartTimeout)
            {
                await StopAsync().ConfigureAwait(false);
                throw new TimeoutException($"redis-server on port {Port} did not answer PING within {StartTimeout.TotalSeconds:0} s:\n{Log()}");
            }

            await Task.Delay(25).ConfigureAwait(false);
        }
    }

    private async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(StopTimeout);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            process.Dispose();
        }
    }

    private async Task<bool> AnswersPingAsync()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, Port, timeout.Token).ConfigureAwait(false);
            await socket.SendAsync("PING\r\n"u8.ToArray(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var reply = new byte[64];
            var read = 0;
            while (read < 7)
            {
                var n = await socket.ReceiveAsync(reply.AsMemory(read), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return false;
                }

                read += n;
            }

            // While loading, Redis answers -LOADING instead; only +PONG means ready.
            return reply.AsSpan(0, read).StartsWith("+PONG\r\n"u8);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static string? FindRedisServer()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : null;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private string Log()
    {
        lock (_log)
        {
            return _log.Length == 0 ? "(no output)" : _log.ToString();
        }
    }
}
