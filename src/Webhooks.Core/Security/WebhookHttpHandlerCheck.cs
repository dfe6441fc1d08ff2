using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Webhooks.Core.Security;

/// <summary>
/// Runs after every other configuration of the <c>Webhooks</c> client and refuses a primary handler
/// that would bypass the network guard, follow redirects, go through a proxy (which would connect
/// to the proxy, not the checked address) or skip TLS certificate validation outside Development.
/// </summary>
internal sealed class WebhookHttpHandlerCheck(IServiceProvider services) : IHttpMessageHandlerBuilderFilter
{
    /// <summary>The name of the HttpClient deliveries are sent with.</summary>
    public const string HttpClientName = "Webhooks";

    public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return builder =>
        {
            next(builder);
            if (builder.Name == HttpClientName)
            {
                Check(builder.PrimaryHandler, services.GetService<IHostEnvironment>()?.IsDevelopment() == true);
            }
        };
    }

    internal static void Check(HttpMessageHandler handler, bool isDevelopment)
    {
        const string Fix = " Configure the library's handler instead of replacing it: services.AddHttpClient(\"Webhooks\").ConfigurePrimaryHttpMessageHandler((handler, sp) => ...).";
        switch (handler)
        {
            case SocketsHttpHandler s:
                if (s.ConnectCallback?.Target is not WebhookNetworkGuard)
                {
                    throw new InvalidOperationException("The 'Webhooks' HttpClient's handler has no webhook network guard (its ConnectCallback was replaced), so receivers on internal networks could be reached." + Fix);
                }

                if (s.UseProxy)
                {
                    throw new InvalidOperationException("The 'Webhooks' HttpClient must not use a proxy: the network guard would check the proxy's address instead of the receiver's.");
                }

                if (s.AllowAutoRedirect)
                {
                    throw new InvalidOperationException("The 'Webhooks' HttpClient must not follow redirects: a receiver could redirect a delivery to an internal address.");
                }

                if (s.SslOptions.RemoteCertificateValidationCallback is not null && !isDevelopment)
                {
                    throw new InvalidOperationException("The 'Webhooks' HttpClient must validate TLS certificates; a RemoteCertificateValidationCallback is allowed only in the Development environment.");
                }

                return;
            case HttpClientHandler:
                throw new InvalidOperationException("The 'Webhooks' HttpClient's primary handler was replaced by an HttpClientHandler, which cannot carry the webhook network guard." + Fix);
            default:
                // A handler that is neither (a test double, an in-process transport) opens no sockets of ours.
                return;
        }
    }
}

/// <summary>
/// Marker options whose start-up validation builds the delivery handler once, so a misconfigured
/// one stops the host instead of failing every delivery (and no extra hosted service is needed).
/// </summary>
internal sealed class WebhookHandlerStartupCheck
{
    public static bool Run(IHttpMessageHandlerFactory handlers)
    {
        try
        {
            _ = handlers.CreateHandler(WebhookHttpHandlerCheck.HttpClientName);
        }
        catch (OptionsValidationException)
        {
            // Invalid WebhookOptions are reported by their own validation; do not report them twice.
        }

        return true;
    }
}

/// <summary>The security services <c>AddWebhooks()</c> registers (TryAdd: an app's own resolver or protector wins).</summary>
internal static class WebhookSecurityRegistration
{
    public static void AddWebhookSecurity(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookOptions>, WebhookNetworkOptionsValidator>());
        services.TryAddSingleton<IWebhookHostResolver, DnsWebhookHostResolver>();
        services.TryAddSingleton<IWebhookSecretProtector, IdentityWebhookSecretProtector>();
        services.TryAddSingleton(sp => new WebhookNetworkGuard(
            sp.GetRequiredService<IOptions<WebhookOptions>>(),
            sp.GetRequiredService<IWebhookHostResolver>(),
            sp.GetService<IHostEnvironment>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, WebhookHttpHandlerCheck>());
        services.AddOptions<WebhookHandlerStartupCheck>()
            .Validate<IHttpMessageHandlerFactory>(static (_, handlers) => WebhookHandlerStartupCheck.Run(handlers))
            .ValidateOnStart();
    }
}
