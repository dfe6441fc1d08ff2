using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Webhooks.Core;
using Webhooks.Core.Catalog;
using Webhooks.Core.Delivery;
using Webhooks.Core.Diagnostics;
using Webhooks.Core.DependencyInjection;
using Webhooks.Core.Publishing;
using Webhooks.Core.Serialization;
using Webhooks.Core.Security;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers webhooks in a host.</summary>
public static class WebhooksServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> deliveries are sent with; configure it further with <c>services.AddHttpClient(HttpClientName)</c>.</summary>
    public const string HttpClientName = WebhookHttpHandlerCheck.HttpClientName;

    /// <summary>
    /// Adds webhooks as <see cref="AddWebhooks(IServiceCollection, Action{WebhookOptions}?)"/> does, with
    /// <see cref="WebhookOptions"/> bound from the <c>Webhooks</c> section of <paramref name="configuration"/>
    /// (for example <c>"Webhooks": { "AttemptTimeout": "00:00:10", "Network": { "AllowLoopback": true } }</c>
    /// in appsettings.json, or <c>Webhooks__AttemptTimeout</c> in the environment). Bad values stop
    /// the host at start with a message naming the setting.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The app's configuration (its root; the <c>Webhooks</c> section is read).</param>
    /// <param name="configure">Further changes after binding.</param>
    /// <returns>A builder to register event types and replace parts.</returns>
    public static IWebhooksBuilder AddWebhooks(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration, Action<WebhookOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.Configure<WebhookOptions>(configuration.GetSection(ConfigurationSection));
        return services.AddWebhooks(configure);
    }

    /// <summary>The configuration section <see cref="AddWebhooks(IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration, Action{WebhookOptions}?)"/> binds.</summary>
    public const string ConfigurationSection = "Webhooks";

    /// <summary>
    /// Adds the publisher, the subscription manager, the dispatcher (a hosted service) and
    /// in-memory stores. Registrations use TryAdd, so an app's own store, signer or retry policy
    /// wins whatever the order. Options are validated when the host starts. Safe to call several times.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets <see cref="WebhookOptions"/>; may be called again with <c>services.Configure</c> or bound from configuration.</param>
    /// <returns>A builder to register event types and replace parts.</returns>
    public static IWebhooksBuilder AddWebhooks(this IServiceCollection services, Action<WebhookOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new WebhooksBuilder(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(WebhookDispatchSignal)))
        {
            return builder;
        }

        services.AddOptions<WebhookOptions>().ValidateOnStart();
        services.AddOptions<WebhookCatalogOptions>().ValidateOnStart();
        services.AddOptions<WebhookSerializerOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookCatalogOptions>, WebhookCatalogOptionsValidator>());

        // TryAdd is used so that an application's own implementations are not overridden.
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IWebhookEventCatalog, WebhookEventCatalog>();
        services.TryAddSingleton<IWebhookSubscriptionStore, InMemoryWebhookSubscriptionStore>();
        services.TryAddSingleton<IWebhookDeliveryStore, InMemoryWebhookDeliveryStore>();
        services.TryAddSingleton<IWebhookRetryPolicy, DefaultWebhookRetryPolicy>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookSigner, StandardWebhooksSigner>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookSigner, HmacSha256HexSigner>());
        services.TryAddSingleton<IWebhookPublisher, WebhookPublisher>();
        services.TryAddSingleton(_ => new WebhookDispatchSignal());
        services.TryAddSingleton<WebhookSender>();
        services.TryAddSingleton<WebhookSubscriptionValidator>();

        // The engine reaches the registered subscription store only through this decorator, so no
        // store ever sees a plaintext secret.
        services.TryAddSingleton(sp => new ProtectedSubscriptionStore(
            sp.GetRequiredService<IWebhookSubscriptionStore>(),
            sp.GetRequiredService<IWebhookSecretProtector>()));
        services.TryAddSingleton<WebhookEndpointHealth>();
        services.TryAddSingleton(sp => new WebhookSubscriptionManager(
            sp.GetRequiredService<ProtectedSubscriptionStore>(),
            sp.GetRequiredService<WebhookSubscriptionValidator>(),
            sp.GetRequiredService<IOptions<WebhookOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetServices<IWebhookSubscriptionRule>()));
        services.TryAddSingleton(sp => new WebhookDeliveryManager(
            sp.GetRequiredService<ProtectedSubscriptionStore>(),
            sp.GetRequiredService<IWebhookDeliveryStore>(),
            sp.GetRequiredService<WebhookDispatchSignal>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<WebhookCircuitBreaker>()));
        services.TryAddSingleton(sp => new WebhookTestSender(
            sp.GetRequiredService<ProtectedSubscriptionStore>(),
            sp.GetRequiredService<WebhookSubscriptionValidator>(),
            sp.GetRequiredService<WebhookSender>(),
            sp.GetRequiredService<IOptions<WebhookOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new WebhookTelemetry(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<IWebhookDeliveryStore>()));
        services.TryAddSingleton<WebhookCircuitBreaker>();
        services.TryAddSingleton<WebhookRateLimiter>();
        services.TryAddSingleton<WebhookDeliveryProcessor>();
        services.TryAddSingleton<IWebhookDispatcher, WebhookDispatcher>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WebhookDispatcherService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WebhookRetentionService>());
        WebhookSecurityRegistration.AddWebhookSecurity(services);

        services.AddHttpClient(HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var o = sp.GetRequiredService<IOptions<WebhookOptions>>().Value;
                return new SocketsHttpHandler
                {
                    // Every connection goes through the SSRF guard, to the addresses it checked; a proxy
                    // would be connected to instead of the receiver, so none is used.
                    ConnectCallback = sp.GetRequiredService<WebhookNetworkGuard>().ConnectAsync,
                    UseProxy = false,
                    AllowAutoRedirect = false,
                    UseCookies = false,
                    AutomaticDecompression = DecompressionMethods.None,
                    ConnectTimeout = o.ConnectTimeout,
                    MaxConnectionsPerServer = o.MaxConnectionsPerEndpoint,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
                    MaxResponseHeadersLength = 64,

                    // The sender writes traceparent itself, from the attempt's span (or not at all: WebhookOptions.SendTraceContext).
                    ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
                };
            })
            .ConfigureHttpClient(c => c.Timeout = Timeout.InfiniteTimeSpan)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        return builder;
    }
}

/// <summary>Registers event types and replaces parts of webhooks.</summary>
public static class WebhooksBuilderExtensions
{
    /// <summary>Registers an event type by name.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The event type name, such as <c>order.created</c> or <c>item-add</c>.</param>
    /// <param name="description">What happened.</param>
    /// <param name="group">The resource or group (<c>group.*</c> subscriptions receive it).</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddEventType(this IWebhooksBuilder builder, string name, string? description = null, string? group = null)
        => builder.AddEventType(new WebhookEventType(name) { Description = description, Group = group });

    /// <summary>Registers an event type by name and sets its details, such as its own retry schedule:
    /// <c>AddEventType("payment.failed", o => o.RetrySchedule = [TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), TimeSpan.FromDays(1)])</c>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The event type name.</param>
    /// <param name="configure">Sets the details.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddEventType(this IWebhooksBuilder builder, string name, Action<WebhookEventTypeOptions> configure)
        => builder.AddEventType(Configured(name, new WebhookEventTypeOptions(), configure, payloadType: null));

    /// <summary>Registers an event type with all its details (version, schema, deprecated).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="eventType">The event type.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddEventType(this IWebhooksBuilder builder, WebhookEventType eventType)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(eventType);
        builder.Services.Configure<WebhookCatalogOptions>(o => o.EventTypes.Add(eventType));
        return builder;
    }

    /// <summary>Registers an event type whose <c>data</c> is a <typeparamref name="TPayload"/>; its JSON schema is generated from the type.</summary>
    /// <typeparam name="TPayload">The payload type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The event type name.</param>
    /// <param name="description">What happened.</param>
    /// <param name="group">The resource or group.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddEventType<TPayload>(this IWebhooksBuilder builder, string name, string? description = null, string? group = null)
        => builder.AddEventType(new WebhookEventType(name) { Description = description, Group = group, PayloadType = typeof(TPayload) });

    /// <summary>Registers a typed event handle, so <c>PublishAsync(handle, payload)</c> is checked at compile time.</summary>
    /// <typeparam name="TPayload">The payload type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="eventType">The handle.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddEventType<TPayload>(this IWebhooksBuilder builder, WebhookEvent<TPayload> eventType)
        => builder.AddEventType(eventType, static _ => { });

    /// <summary>
    /// Registers a typed event handle and sets further details, such as its own retry schedule or
    /// the deprecated flag: <c>AddEventType(Events.PaymentFailed, o => o.RetrySchedule = [TimeSpan.FromHours(1)])</c>.
    /// The options start from the handle's name, description, group and version.
    /// </summary>
    /// <typeparam name="TPayload">The payload type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="eventType">The handle.</param>
    /// <param name="configure">Sets the details.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddEventType<TPayload>(this IWebhooksBuilder builder, WebhookEvent<TPayload> eventType, Action<WebhookEventTypeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        var o = new WebhookEventTypeOptions { Description = eventType.Description, Group = eventType.Group, Version = eventType.Version };
        return builder.AddEventType(Configured(eventType.Name, o, configure, typeof(TPayload)));
    }

    private static WebhookEventType Configured(string name, WebhookEventTypeOptions o, Action<WebhookEventTypeOptions> configure, Type? payloadType)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(o);
        return new WebhookEventType(name)
        {
            Description = o.Description,
            Group = o.Group,
            Version = o.Version,
            Deprecated = o.Deprecated,
            RetrySchedule = o.RetrySchedule is null ? null : [.. o.RetrySchedule],
            PayloadType = payloadType,
        };
    }

    /// <summary>
    /// Registers a resource's create/update/delete event types: <c>{resource}.created</c>,
    /// <c>{resource}.updated</c>, <c>{resource}.deleted</c>, grouped under <paramref name="resource"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="resource">The resource name, such as <c>order</c>.</param>
    /// <param name="triggers">Which of the three it defines.</param>
    /// <param name="description">The resource's description (each event type gets one derived from it).</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddResource(this IWebhooksBuilder builder, string resource, WebhookTriggers triggers = WebhookTriggers.All, string? description = null)
    {
        var names = new List<(string Trigger, string Verb)>();
        if (triggers.HasFlag(WebhookTriggers.Create))
        {
            names.Add(("created", "created"));
        }

        if (triggers.HasFlag(WebhookTriggers.Update))
        {
            names.Add(("updated", "updated"));
        }

        if (triggers.HasFlag(WebhookTriggers.Delete))
        {
            names.Add(("deleted", "deleted"));
        }

        foreach (var (trigger, verb) in names)
        {
            builder.AddEventType(new WebhookEventType($"{resource}.{trigger}") { Group = resource, Description = $"{Article(description ?? resource)} {description ?? resource} was {verb}." });
        }

        return builder;
    }

    private static string Article(string noun) => noun.Length > 0 && "aeiouAEIOU".Contains(noun[0], StringComparison.Ordinal) ? "An" : "A";

    /// <summary>Registers a resource with its own trigger names: <c>{resource}.{trigger}</c> for each (seed 002: <c>on_create</c>, <c>on_update</c>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="resource">The resource name.</param>
    /// <param name="triggers">The trigger names.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddResource(this IWebhooksBuilder builder, string resource, params string[] triggers)
    {
        ArgumentNullException.ThrowIfNull(triggers);
        if (triggers.Length == 0)
        {
            throw new ArgumentException($"Resource '{resource}' needs at least one trigger.", nameof(triggers));
        }

        foreach (var trigger in triggers)
        {
            builder.AddEventType(new WebhookEventType($"{resource}.{trigger}") { Group = resource, Description = $"The {trigger} trigger of {resource}." });
        }

        return builder;
    }

    /// <summary>Adds a signer; subscriptions choose it by its <see cref="IWebhookSigner.Scheme"/>.</summary>
    /// <typeparam name="TSigner">The signer.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddSigner<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] TSigner>(this IWebhooksBuilder builder) where TSigner : class, IWebhookSigner
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookSigner, TSigner>());
        return builder;
    }

    /// <summary>Adds an app rule checked on every subscription create and update, after the built-in validation.</summary>
    /// <typeparam name="TRule">The rule.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddSubscriptionRule<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] TRule>(this IWebhooksBuilder builder) where TRule : class, IWebhookSubscriptionRule
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookSubscriptionRule, TRule>());
        return builder;
    }

    /// <summary>Adds an observer of lifecycle steps (disabled subscriptions, given-up deliveries, recoveries).</summary>
    /// <typeparam name="TObserver">The observer.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddObserver<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] TObserver>(this IWebhooksBuilder builder) where TObserver : class, IWebhookObserver
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookObserver, TObserver>());
        return builder;
    }

    /// <summary>Sets how payloads are serialized (add a source-generated context for trimmed or AOT apps).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the serializer options.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder ConfigureSerializer(this IWebhooksBuilder builder, Action<System.Text.Json.JsonSerializerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure<WebhookSerializerOptions>(o => configure(o.JsonSerializerOptions));
        return builder;
    }
}
