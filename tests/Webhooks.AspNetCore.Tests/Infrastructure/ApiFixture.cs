using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Infrastructure;

/// <summary>One app and one receiver shared by the endpoint tests; each test uses its own owners, so tests cannot see each other's data.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public ApiHost Host { get; private set; } = null!;

    public TestReceiver Receiver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Receiver = await TestReceiver.StartAsync();
        Host = await ApiHost.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Receiver.DisposeAsync();
    }

    /// <summary>A fresh owner name, so no other test shares its subscriptions.</summary>
    public static string NewOwner(string name = "user") => $"{name}-{Guid.NewGuid():N}";
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
