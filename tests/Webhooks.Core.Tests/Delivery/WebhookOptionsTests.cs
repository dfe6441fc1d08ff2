using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

public sealed class WebhookOptionsTests
{
    public static TheoryData<string, Action<WebhookOptions>, string> InvalidSettings => new()
    {
        { "concurrency", o => o.MaxConcurrentDeliveries = 0, "MaxConcurrentDeliveries is 0; use 1 to 10000" },
        { "attempt timeout", o => o.AttemptTimeout = TimeSpan.Zero, "AttemptTimeout is 00:00:00" },
        { "connect timeout", o => o.ConnectTimeout = TimeSpan.FromHours(1), "ConnectTimeout is 01:00:00" },
        { "lease shorter than attempt", o => { o.AttemptTimeout = TimeSpan.FromSeconds(30); o.LeaseDuration = TimeSpan.FromSeconds(10); }, "LeaseDuration (00:00:10) must be longer than AttemptTimeout" },
        { "negative retry", o => o.RetrySchedule = [TimeSpan.FromSeconds(-1)], "RetrySchedule delays must be between" },
        { "jitter", o => o.RetryJitter = 2, "RetryJitter is 2" },
        { "poll", o => o.PollInterval = TimeSpan.Zero, "PollInterval is 00:00:00" },
        { "payload", o => o.MaxPayloadBytes = 10, "MaxPayloadBytes is 10" },
        { "scheme", o => o.DefaultSignatureScheme = "rot13", "DefaultSignatureScheme 'rot13' has no registered signer" },
        { "hmac header", o => o.HmacSignatureHeader = "X Bad", "HmacSignatureHeader must be a valid HTTP header name" },
        { "event header", o => o.EventTypeHeader = "a:b", "EventTypeHeader must be a valid HTTP header name" },
        { "user agent", o => o.UserAgent = "", "UserAgent must be non-empty" },
        { "payload format", o => o.PayloadFormat = (WebhookPayloadFormat)7, "PayloadFormat '7' is unknown" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public async Task Start_InvalidSetting_FailsNamingSettingAndRange(string because, Action<WebhookOptions> change, string message)
    {
        var act = () => WebhookHost.StartAsync(b => b.AddEventType("a"), change);

        (await act.Should().ThrowAsync<OptionsValidationException>(because)).Which.Message.Should().Contain(message);
    }

    [Fact]
    public async Task Start_Defaults_AreValid()
    {
        var services = new ServiceCollection();
        services.AddWebhooks();
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<WebhookOptions>>().Value;

        options.RetrySchedule.Should().BeNull("unset uses the default schedule");
        options.AttemptTimeout.Should().Be(TimeSpan.FromSeconds(15));
        options.AllowHttp.Should().BeFalse();
    }

    [Fact]
    public void AddWebhooks_Configuration_BindsTheWebhooksSection()
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Webhooks:AttemptTimeout"] = "00:00:07",
                ["Webhooks:RetrySchedule:0"] = "00:00:02",
                ["Webhooks:Network:AllowLoopback"] = "true",
                ["Webhooks:RetentionPeriod"] = "7.00:00:00",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddWebhooks(config, o => o.MaxConcurrentDeliveries = 3);
        using var provider = services.BuildServiceProvider();

        var o = provider.GetRequiredService<IOptions<WebhookOptions>>().Value;

        o.AttemptTimeout.Should().Be(TimeSpan.FromSeconds(7));
        o.RetrySchedule.Should().Equal(TimeSpan.FromSeconds(2));
        o.Network.AllowLoopback.Should().BeTrue();
        o.RetentionPeriod.Should().Be(TimeSpan.FromDays(7));
        o.MaxConcurrentDeliveries.Should().Be(3, "the callback runs after binding");
    }

    [Fact]
    public void AddWebhooks_ConfigurationWithBadValue_FailsNamingTheSetting()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Webhooks:MaxConcurrentDeliveries"] = "0" }).Build();
        var services = new ServiceCollection();
        services.AddWebhooks(config);
        using var provider = services.BuildServiceProvider();

        var act = () => provider.GetRequiredService<IOptions<WebhookOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Webhooks:MaxConcurrentDeliveries is 0");
    }

    [Fact]
    public void RetrySchedule_BoundFromConfiguration_ReplacesDefault()
    {
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Webhooks:RetrySchedule:0"] = "00:00:01", ["Webhooks:RetrySchedule:1"] = "00:00:30" })
            .Build();
        var services = new ServiceCollection();
        services.AddWebhooks();
        services.Configure<WebhookOptions>(config.GetSection("Webhooks"));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IOptions<WebhookOptions>>().Value.RetrySchedule.Should().Equal(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void AddWebhooks_CalledTwice_RegistersOnce_AndAppStoreWins()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IWebhookSubscriptionStore, FakeOrderStore>();
        services.AddWebhooks();
        services.AddWebhooks();

        // The dispatcher and the retention schedule, each once however often AddWebhooks() is called.
        services.Count(d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService)).Should().Be(2);
        services.Where(d => d.ServiceType == typeof(IWebhookSubscriptionStore)).Should().ContainSingle()
            .Which.ImplementationType.Should().Be<FakeOrderStore>();
    }

    private sealed class FakeOrderStore : IWebhookSubscriptionStore
    {
        public Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
