using StackExchange.Redis;

namespace Granary.Grains.Head.Persistence;

/// <summary>
/// Opens the head's connection to Redis, or fails with one line that names the address, why, and what to do.
/// The library's own message is a paragraph that suggests abortConnect=false, which Granary does not allow
/// (a head without its store would lose its tables), so the reason is taken from the failed attempts instead.
/// Thread-safe.
/// </summary>
internal static class RedisConnector
{
    public static async Task<ConnectionMultiplexer> ConnectAsync(string configuration, CancellationToken cancellationToken)
    {
        var options = RedisConfiguration.Parse(configuration);
        var attempts = new RedisAttemptLog();
        options.ConnectionAttemptCompleted += attempts.Record;
        var connecting = ConnectionMultiplexer.ConnectAsync(options);
        try
        {
            // The library takes no token; a caller that stops waiting gets control back at once.
            return await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = connecting.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            var attempt = await attempts.SettleAsync(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
            var failure = (ex as RedisConnectionException)?.FailureType ?? attempt?.FailureType ?? ConnectionFailureType.UnableToConnect;
            var (reason, fix) = Explain(options, failure, attempt);
            throw new GranaryException($"Cannot reach Redis at {RedisConfiguration.Describe(options)}: {reason}. {fix}.", ex);
        }
    }

    private static (string Reason, string Fix) Explain(ConfigurationOptions options, ConnectionFailureType failure, ConnectionAttemptCompletedEventArgs? attempt)
    {
        const string Start = "Start redis-server there or drop --redis";
        if (attempt?.Stage == ConnectionAttemptStage.Tls)
        {
            return ("the TLS handshake failed", "Check ssl= and sslHost= in --redis against the server's TLS setup");
        }

        if (failure == ConnectionFailureType.AuthenticationFailure)
        {
            return ("it refused the credentials", "Give its password (and user, with ACLs) in --redis host:port,password=...");
        }

        if (attempt?.Exception is System.Net.Sockets.SocketException socket)
        {
            return (socket.Message, Start);
        }

        // A silent server (or a plain one spoken to with TLS) leaves no report: all that is known is the wait.
        var seconds = options.ConnectTimeout * Math.Max(1, options.ConnectRetry) / 1000.0;
        return ($"no answer, timed out after {seconds:0.#} s", options.Ssl ? Start + ", and check that the server serves TLS (ssl=true)" : Start);
    }
}
