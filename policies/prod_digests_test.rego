package main

test_a_tag_in_production_warns {
	count(warn_prod_image_digest) == 1 with input as {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [{"image": "registry.example.com/web:1.0"}]}}}, "paved": {"production": true}}
}

test_a_digest_in_production_passes {
	count(warn_prod_image_digest) == 0 with input as {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [{"image": "registry.example.com/web@sha256:abc"}]}}}, "paved": {"production": true}}
}

test_a_tag_outside_production_passes {
	count(warn_prod_image_digest) == 0 with input as {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [{"image": "registry.example.com/web:1.0"}]}}}, "paved": {"production": false}}
}
