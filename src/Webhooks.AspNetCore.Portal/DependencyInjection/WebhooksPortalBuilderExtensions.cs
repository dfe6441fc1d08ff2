using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore.Owners;
using Webhooks.AspNetCore.Portal;
using Webhooks.AspNetCore.Portal.Endpoints;
using Webhooks.AspNetCore.Portal.Links;
using Webhooks.AspNetCore.Portal.Sessions;
using Webhooks.Core.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers what the webhooks portal (<c>MapWebhooksPortal()</c>) and its access links use.</summary>
public static class WebhooksPortalBuilderExtensions
{
    /// <summary>
    /// Registers the portal: its options (validated at start), <see cref="IWebhookPortalLinks"/>, and
    /// the two hooks access-link sessions need, each wrapping what the app registered before: the
    /// owner resolver (a link acts for its owner) and the authorization result handler (a link's
    /// session is admitted on the portal and the management endpoints only). Also adds, if the app
    /// has not, the management endpoints' services (<c>AddEndpoints()</c>), Data Protection (link
    /// tokens and session cookies; share its key ring between instances), anti-forgery, and an
    /// in-memory <c>IDistributedCache</c> for revocations. Call it after <c>AddOwnerResolver&lt;T&gt;()</c>
    /// and after registering your own <see cref="IAuthorizationMiddlewareResultHandler"/>, if any
    /// (<c>MapWebhooksPortal()</c> says so if not). Safe to call several times.
    /// </summary>
    /// <param name="builder">The webhooks builder from <c>AddWebhooks()</c>.</param>
    /// <param name="configure">Changes <see cref="WebhookPortalOptions"/>.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddPortal(this IWebhooksBuilder builder, Action<WebhookPortalOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddEndpoints();
        var services = builder.Services;
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.AddOptions<WebhookPortalOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookPortalOptions>, WebhookPortalOptionsValidator>());
        services.AddRouting();
        services.AddDataProtection();
        services.AddAntiforgery();
        services.AddDistributedMemoryCache();   // TryAdd inside: an app's Redis or SQL cache wins
        services.AddHttpContextAccessor();
        services.TryAddSingleton(TimeProvider.System);

        if (services.Any(d => d.ServiceType == typeof(WebhookPortalMarker)))
        {
            return builder;
        }

        services.AddSingleton<WebhookPortalMarker>();
        services.AddSingleton<WebhookPortalTokens>();
        services.AddSingleton<WebhookPortalRevocations>();
        services.AddSingleton<WebhookPortalPaths>();
        services.AddSingleton<WebhookPortalPages>();
        services.AddSingleton<WebhookPortalSessions>();
        services.AddSingleton<WebhookPortalLinks>();
        services.TryAddSingleton<IWebhookPortalLinks>(sp => sp.GetRequiredService<WebhookPortalLinks>());

        Wrap<IWebhookOwnerResolver>(services, ServiceLifetime.Scoped, (_, inner) => new WebhookPortalOwnerResolver(inner));
        Wrap<IAuthorizationMiddlewareResultHandler>(services, ServiceLifetime.Singleton, (sp, inner) => ActivatorUtilities.CreateInstance<WebhookPortalAuthorizationResultHandler>(sp, inner));
        return builder;
    }

    /// <summary>
    /// Replaces the last registration of <typeparamref name="TService"/> with <paramref name="wrap"/>
    /// around it (or around the framework's default when there is none yet, which the framework's
    /// own TryAdd then leaves alone).
    /// </summary>
    private static void Wrap<TService>(IServiceCollection services, ServiceLifetime defaultLifetime, Func<IServiceProvider, TService, TService> wrap)
        where TService : class
    {
        var original = services.LastOrDefault(d => d.ServiceType == typeof(TService) && !d.IsKeyedService);
        Func<IServiceProvider, TService> create = original switch
        {
            null when typeof(TService) == typeof(IAuthorizationMiddlewareResultHandler) => _ => (TService)(object)new AuthorizationMiddlewareResultHandler(),
            null => throw new InvalidOperationException($"No {typeof(TService).Name} is registered to wrap."),
            { ImplementationInstance: { } instance } => _ => (TService)instance,
            { ImplementationFactory: { } factory } => sp => (TService)factory(sp),
            _ => Activate<TService>(original.ImplementationType!),
        };
        if (original is not null)
        {
            services.Remove(original);
        }

        services.Add(new ServiceDescriptor(typeof(TService), sp => wrap(sp, create(sp)), original?.Lifetime ?? defaultLifetime));
    }

    private static Func<IServiceProvider, TService> Activate<TService>([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] Type type)
        where TService : class =>
        sp => (TService)ActivatorUtilities.CreateInstance(sp, type);
}

/// <summary>Shows <c>MapWebhooksPortal()</c> that <c>AddPortal()</c> was called.</summary>
internal sealed class WebhookPortalMarker;

/// <summary>Checks the portal settings at start and reports each bad one with what to fix.</summary>
internal sealed class WebhookPortalOptionsValidator : IValidateOptions<WebhookPortalOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookPortalOptions options)
    {
        var failures = new List<string>();
        if (options.MaxLinkLifetime <= TimeSpan.Zero || options.MaxLinkLifetime > WebhookPortalOptions.MaxLinkLifetimeLimit)
        {
            failures.Add($"Webhooks portal: MaxLinkLifetime is {options.MaxLinkLifetime}; use more than zero and at most 7 days (7.00:00:00).");
        }

        if (options.DefaultLinkLifetime < TimeSpan.FromMinutes(1) || options.DefaultLinkLifetime > options.MaxLinkLifetime)
        {
            failures.Add($"Webhooks portal: DefaultLinkLifetime is {options.DefaultLinkLifetime}; use 1 minute to MaxLinkLifetime ({options.MaxLinkLifetime}).");
        }

        if (string.IsNullOrWhiteSpace(options.Title) || options.Title.Length > 100)
        {
            failures.Add("Webhooks portal: Title must be 1 to 100 characters, such as \"Webhooks\".");
        }

        if (string.IsNullOrWhiteSpace(options.CookieName) || options.CookieName.Any(c => c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".Contains(c, StringComparison.Ordinal)))
        {
            failures.Add($"Webhooks portal: CookieName '{options.CookieName}' is not a valid cookie name; use letters, digits, '.', '-' or '_', such as \".Webhooks.Portal\".");
        }

        if (options.PublicBaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment)))
        {
            failures.Add($"Webhooks portal: PublicBaseUrl '{url}' must be an absolute http(s) address without query or fragment, such as https://app.example.com.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
