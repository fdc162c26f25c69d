# Sourced by the load scripts: starts a one-worker nginx on a free loopback port answering a
# small JSON body, stopped (and its directory removed) when the script exits. Sets $dir, $url.
dir=$(mktemp -d /tmp/tracehop-bench-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1;
error_log $dir/error.log; pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/b; proxy_temp_path $dir/p; fastcgi_temp_path $dir/f;
  uwsgi_temp_path $dir/u; scgi_temp_path $dir/s;
  keepalive_timeout 60s; keepalive_requests 100000000;
  server { listen 127.0.0.1:$port; location / { default_type application/json; return 200 '{"sku":"SKU-9931","price":12.5}'; } }
}
CONF
nginx -p "$dir" -c "$dir/nginx.conf" & nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
url="http://127.0.0.1:$port/items/SKU-9931"
