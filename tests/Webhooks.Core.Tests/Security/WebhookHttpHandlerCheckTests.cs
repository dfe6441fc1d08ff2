// These tests configure the very certificate callbacks the library must refuse.
#pragma warning disable CA5359

using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Delivery;
using Webhooks.Core.Tests.Delivery;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Security;

/// <summary>The delivery HttpClient cannot be configured into skipping the guard, following redirects, using a proxy or trusting any certificate.</summary>
public sealed class WebhookHttpHandlerCheckTests
{
    public static TheoryData<string, Action<IHttpClientBuilder>, string> UnsafeHandlers => new()
    {
        { "replaced by HttpClientHandler", c => c.ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler()), "replaced by an HttpClientHandler" },
        { "replaced by a new SocketsHttpHandler", c => c.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler()), "has no webhook network guard" },
        { "ConnectCallback replaced", c => c.ConfigurePrimaryHttpMessageHandler((h, _) => ((SocketsHttpHandler)h).ConnectCallback = null), "has no webhook network guard" },
        { "proxy turned on", c => c.ConfigurePrimaryHttpMessageHandler((h, _) => ((SocketsHttpHandler)h).UseProxy = true), "must not use a proxy" },
        { "redirects turned on", c => c.ConfigurePrimaryHttpMessageHandler((h, _) => ((SocketsHttpHandler)h).AllowAutoRedirect = true), "must not follow redirects" },
        { "any certificate trusted", c => c.ConfigurePrimaryHttpMessageHandler((h, _) => ((SocketsHttpHandler)h).SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true), "must validate TLS certificates" },
    };

    [Theory]
    [MemberData(nameof(UnsafeHandlers))]
    public async Task Start_UnsafeDeliveryHandler_FailsSayingWhy(string because, Action<IHttpClientBuilder> configure, string message)
    {
        var act = () => WebhookHost.StartAsync(b => b.AddEventType("order.created"), services: s => configure(s.AddHttpClient(WebhookHttpHandlerCheck.HttpClientName)), environment: "Production");

        (await act.Should().ThrowAsync<InvalidOperationException>(because)).Which.Message.Should().Contain(message);
    }

    [Fact]
    public async Task Start_CertificateCallbackInDevelopment_IsAllowed()
    {
        var act = () => WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            services: s => s.AddHttpClient(WebhookHttpHandlerCheck.HttpClientName).ConfigurePrimaryHttpMessageHandler((h, _) => ((SocketsHttpHandler)h).SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true),
            environment: "Development");

        await (await act.Should().NotThrowAsync()).Subject.DisposeAsync();
    }

    [Fact]
    public async Task Start_HarmlessHandlerTweak_IsAllowedAndDelivers()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            services: s => s.AddHttpClient(WebhookHttpHandlerCheck.HttpClientName).ConfigurePrimaryHttpMessageHandler((h, _) => ((SocketsHttpHandler)h).PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5)));
        await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        (await receiver.WaitForAsync(1)).Should().ContainSingle();
    }

    [Fact]
    public async Task Start_OtherNamedClients_AreNotChecked()
    {
        var act = () => WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            services: s => s.AddHttpClient("payments").ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler { AllowAutoRedirect = true }));

        await (await act.Should().NotThrowAsync()).Subject.DisposeAsync();
    }
}
