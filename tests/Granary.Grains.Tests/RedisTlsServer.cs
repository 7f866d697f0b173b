using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Granary.Grains.Tests;

/// <summary>
/// A throwaway redis-server that speaks only TLS, on a free loopback port, with a certificate for
/// localhost issued by a private CA made here with openssl (both Debian packages; Debian's redis-server is
/// built with TLS). Nothing is persisted; the folder with the keys goes on dispose.
/// </summary>
public sealed class RedisTlsServer : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly string _folder = Directory.CreateTempSubdirectory("granary-redis-tls-").FullName;
    private Process? _process;

    public int Port { get; private set; }

    /// <summary>The CA certificate (PEM) that issued the server's certificate.</summary>
    public string CaPath => Path.Combine(_folder, "ca.pem");

    public static async Task<RedisTlsServer> StartAsync()
    {
        var server = new RedisTlsServer();
        try
        {
            await server.StartCoreAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(Bound);
        }

        _process?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task StartCoreAsync()
    {
        await OpensslAsync("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=granary-test-ca");
        await OpensslAsync("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
        await File.WriteAllTextAsync(Path.Combine(_folder, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        await OpensslAsync("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf");

        Port = FreePort();
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        foreach (var arg in new[]
        {
            "--port", "0", "--tls-port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--tls-cert-file", "server.pem", "--tls-key-file", "server.key", "--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no",
            "--save", string.Empty, "--appendonly", "no", "--dir", _folder,
        })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready once a TLS client that trusts the CA gets an answer.
        var options = ConfigurationOptions.Parse($"127.0.0.1:{Port},ssl=true,sslHost=localhost,abortConnect=false,connectTimeout=1000");
        options.TrustIssuer(CaPath);
        var until = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
        while (true)
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(options);
                await probe.GetDatabase().PingAsync();
                return;
            }
            catch (RedisException) when (Environment.TickCount64 < until && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    private async Task OpensslAsync(params string[] args)
    {
        var start = new ProcessStartInfo("openssl") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start");
        var errors = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Bound);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {string.Join(' ', args)} failed: {await errors}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
