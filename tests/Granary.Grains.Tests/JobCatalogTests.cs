using Google.Protobuf;
using Granary.Grains.Head;
using Granary.Runtime.Code;
using Granary.Runtime.Wire;

namespace Granary.Grains.Tests;

public sealed class JobCatalogTests
{
    [Fact]
    public void Only_unknown_content_is_asked_for_and_identical_bytes_are_stored_once()
    {
        var blobs = new AssemblyBlobCache();
        var catalog = new JobCatalog(blobs, new Granary.Grains.Head.Persistence.MemoryHeadStore());
        var bytes = new byte[] { 1, 2, 3 };
        var hash = AssemblyBlobCache.Hash(bytes);
        var first = new RegisterJobCode { JobId = "j1", Assemblies = { new AssemblyRef { Name = "App, Version=1.0.0.0", Hash = hash, Size = 3 } } };
        Assert.Equal(new[] { hash }, catalog.Register(first).Hashes);
        catalog.Upload(new UploadAssembly { Hash = hash, Content = ByteString.CopyFrom(bytes) });

        var second = new RegisterJobCode { JobId = "j2", Assemblies = { new AssemblyRef { Name = "App, Version=1.0.0.0", Hash = hash, Size = 3 } } };
        Assert.Empty(catalog.Register(second).Hashes);
        Assert.Equal(1, blobs.Count);
        Assert.Single(catalog.Manifest("j2").Assemblies);
        Assert.Equal(bytes, catalog.Fetch(hash).Content.ToByteArray());
    }

    [Fact]
    public void An_upload_whose_bytes_do_not_match_its_hash_is_refused()
    {
        var catalog = new JobCatalog(new AssemblyBlobCache(), new Granary.Grains.Head.Persistence.MemoryHeadStore());
        Assert.Throws<InvalidDataException>(() => catalog.Upload(new UploadAssembly { Hash = new string('0', 64), Content = ByteString.CopyFrom(1, 2) }));
    }

    [Fact]
    public void Fetching_unknown_content_names_the_hash() =>
        Assert.Contains("abc", Assert.Throws<CodeLoadException>(() => new JobCatalog(new AssemblyBlobCache(), new Granary.Grains.Head.Persistence.MemoryHeadStore()).Fetch("abc")).Message);
}
