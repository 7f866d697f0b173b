using System.Reflection;
using Granary.Runtime.Code;
using Granary.Runtime.Wire;

namespace Granary.Grains.Head;

/// <summary>
/// The head's record of each job's shipped assemblies (by simple name, first registration wins) over the
/// content-addressed blob cache, so identical assemblies from any number of clients are uploaded once.
/// Thread-safe.
/// </summary>
internal sealed class JobCatalog(AssemblyBlobCache blobs, Persistence.IHeadStore store)
{
    private readonly Dictionary<string, List<AssemblyRef>> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _serializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JobSettings> _settings = new(StringComparer.Ordinal);

    /// <summary>Adds the job's assemblies and answers which blobs the head still needs uploaded.</summary>
    public async Task<MissingAssemblies> RegisterAsync(RegisterJobCode request, CancellationToken cancellationToken)
    {
        var missing = Register(request);
        await store.SaveJobAsync(WithoutSecrets(Manifest(request.JobId)), cancellationToken).ConfigureAwait(false);
        return missing;
    }

    /// <summary>
    /// What the head's store keeps: secrets stay in memory (the client's, the head's, the nodes' that run the
    /// job), never in Redis. A head restored from Redis serves the job's environment without its secrets.
    /// </summary>
    private static JobManifest WithoutSecrets(JobManifest manifest)
    {
        if (manifest.Settings is not { Secrets.Count: > 0 } settings)
        {
            return manifest;
        }

        var stored = manifest.Clone();
        stored.Settings = settings.Clone();
        stored.Settings.Secrets.Clear();
        return stored;
    }

    public async Task UploadAsync(UploadAssembly upload, CancellationToken cancellationToken)
    {
        Upload(upload);
        await store.SaveBlobAsync(upload.Hash, upload.Content.ToByteArray(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes back the jobs and assemblies a head knew before it restarted.</summary>
    public void Restore(IEnumerable<JobManifest> jobs, IReadOnlyDictionary<string, byte[]> restoredBlobs)
    {
        foreach (var (hash, content) in restoredBlobs)
        {
            blobs.Add(hash, content);
        }

        foreach (var job in jobs)
        {
            var request = new RegisterJobCode { JobId = job.JobId };
            request.Assemblies.AddRange(job.Assemblies);
            request.Serializers.AddRange(job.Serializers);
            request.Settings = job.Settings;
            request.MaxCodeBytes = long.MaxValue;
            Register(request);
        }
    }

    public MissingAssemblies Register(RegisterJobCode request)
    {
        var missing = new MissingAssemblies();
        lock (_jobs)
        {
            if (!_jobs.TryGetValue(request.JobId, out var list))
            {
                _jobs[request.JobId] = list = [];
            }

            var added = new List<AssemblyRef>();
            foreach (var assembly in request.Assemblies)
            {
                var name = new AssemblyName(assembly.Name).Name;
                if (!list.Concat(added).Any(a => string.Equals(new AssemblyName(a.Name).Name, name, StringComparison.OrdinalIgnoreCase)))
                {
                    added.Add(assembly);
                }
            }

            var total = list.Sum(a => a.Size) + added.Sum(a => a.Size);
            var limit = CodeSizeLimit.Effective(request.MaxCodeBytes);
            if (total > limit)
            {
                // The client checks this before it uploads; this is for clients that do not.
                var largest = list.Concat(added).MaxBy(a => a.Size)!;
                throw CodeSizeLimit.Exceeded(request.JobId, total, limit, largest.Name, largest.Size);
            }

            if (request.Serializers.Count > 0)
            {
                _serializers[request.JobId] = [.. request.Serializers];
            }

            if (request.Settings is not null && !_settings.ContainsKey(request.JobId))
            {
                _settings[request.JobId] = request.Settings;
            }

            list.AddRange(added);
            foreach (var assembly in request.Assemblies)
            {
                if (!blobs.Contains(assembly.Hash) && !missing.Hashes.Contains(assembly.Hash))
                {
                    missing.Hashes.Add(assembly.Hash);
                }
            }
        }

        return missing;
    }

    public void Upload(UploadAssembly upload) => blobs.Add(upload.Hash, upload.Content.ToByteArray());

    /// <summary>The namespace the job registered with its settings; the default one for a job that registered none.</summary>
    public string NamespaceOf(string jobId)
    {
        lock (_jobs)
        {
            return _settings.TryGetValue(jobId, out var settings) && settings.Namespace.Length > 0 ? settings.Namespace : GranaryDefaults.Namespace;
        }
    }

    public JobManifest Manifest(string jobId)
    {
        var manifest = new JobManifest { JobId = jobId };
        lock (_jobs)
        {
            if (_jobs.TryGetValue(jobId, out var list))
            {
                manifest.Assemblies.AddRange(list);
            }

            if (_serializers.TryGetValue(jobId, out var serializers))
            {
                manifest.Serializers.AddRange(serializers);
            }

            if (_settings.TryGetValue(jobId, out var settings))
            {
                manifest.Settings = settings;
            }
        }

        return manifest;
    }

    public AssemblyBlob Fetch(string hash) =>
        blobs.TryGet(hash, out var content)
            ? new AssemblyBlob { Hash = hash, Content = Google.Protobuf.ByteString.CopyFrom(content) }
            : throw new CodeLoadException($"The head has no assembly with hash {hash}; the client must upload it before submitting work that needs it.");
}
