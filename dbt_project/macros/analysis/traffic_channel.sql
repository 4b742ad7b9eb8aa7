{#-
    The acquisition (traffic) channel of a web or app session, from the UTM parameters of its
    landing event and, without them, from its referrer: a rules-based grouping in the spirit of
    GA4's default channel group. Order matters: the first matching rule wins.
    - utm_medium names the channel when present (cpc/ppc/sem -> paid_search, display/banner/cpm ->
      display, paid_social -> paid_social, social -> organic_social, email -> email, affiliate,
      referral, organic -> organic_search; any other medium -> other_campaign);
    - utm_source 'email' without a medium -> email;
    - a referrer on a known search engine -> organic_search, on a known social network ->
      organic_social, on another host than the landing page -> referral;
    - else direct (no referrer, or an internal one).
-#}
{% macro cdp_traffic_channel(utm_source, utm_medium, referrer, landing_url) -%}
    {%- set search_hosts = ['baidu.', 'google.', 'bing.', 'sogou.', 'so.com', 'sm.cn',
        'yandex.', 'duckduckgo.', 'yahoo.', 'naver.'] -%}
    {%- set social_hosts = ['weibo.', 'weixin.', 'wechat.', 'qq.com', 'douyin.', 'xiaohongshu.',
        'zhihu.', 'bilibili.', 'facebook.', 'instagram.', 'twitter.', 't.co', 'x.com',
        'linkedin.', 'tiktok.', 'pinterest.', 'reddit.'] -%}
    {%- set medium = "lower(" ~ utm_medium ~ ")" -%}
    {%- set host = "lower(" ~ dbt.split_part(referrer, "'/'", 3) ~ ")" -%}
    {%- set landing_host = "lower(" ~ dbt.split_part(landing_url, "'/'", 3) ~ ")" -%}
    case
        when {{ medium }} in ('cpc', 'ppc', 'sem', 'paid_search', 'paidsearch') then 'paid_search'
        when {{ medium }} in ('display', 'banner', 'cpm') then 'display'
        when {{ medium }} in ('paid_social', 'paidsocial', 'social_paid') then 'paid_social'
        when {{ medium }} in ('social', 'social_network', 'social-network', 'sm')
            then 'organic_social'
        when {{ medium }} in ('email', 'e-mail', 'edm', 'newsletter') then 'email'
        when {{ medium }} = 'affiliate' then 'affiliate'
        when {{ medium }} = 'referral' then 'referral'
        when {{ medium }} = 'organic' then 'organic_search'
        when {{ medium }} is not null and {{ medium }} != '' then 'other_campaign'
        when lower({{ utm_source }}) = 'email' then 'email'
        when {{ referrer }} is null or {{ host }} = '' then 'direct'
        {% for pattern in search_hosts -%}
        when {{ host }} like '%{{ pattern }}%' then 'organic_search'
        {% endfor -%}
        {% for pattern in social_hosts -%}
        when {{ host }} like '%{{ pattern }}%' then 'organic_social'
        {% endfor -%}
        when {{ landing_url }} is not null and {{ host }} = {{ landing_host }} then 'direct'
        else 'referral'
    end
{%- endmacro %}
