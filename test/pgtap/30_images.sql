-- Image features: a classifier trained on Fashion-MNIST pictures (a subset:
-- the first 8000 training and 1000 test pictures, PNG bytes made by
-- xb_image_png) with the default image options (at most 15 epochs, for CI's
-- time); scored by name on table rows,
-- jsonb and in batches; embeddings, attention and the attention picture; bad
-- pictures refused with the row named and nothing written. The full data is
-- test/bench/fashion_vs_python.sh.
-- Runs in one transaction that is rolled back: nothing persists.
\ir preamble.psql

SELECT plan(32);

SET LOCAL xb.progress_every = 0;
SET LOCAL xb.threads = 2;  -- both cores of the CI machine: LibTorch's default here is one

CREATE TEMP TABLE fashion_pixels (id int, label int, article text, split text, pixels text);
\copy fashion_pixels FROM PROGRAM 'bash scripts/fashion_mnist_csv.sh 8000 1000' WITH (FORMAT csv)
CREATE TEMP TABLE fashion AS
SELECT id, xb_image_png(decode(pixels, 'hex'), 28, 28, 1) AS image, label, article, split FROM fashion_pixels;

SELECT is((SELECT count(*) FROM fashion WHERE substr(image, 1, 8) = '\x89504e470d0a1a0a'::bytea), 9000::bigint,
          'xb_image_png makes a PNG of each picture''s pixels');

SELECT xb_train_classifier('pgtap30_fashion', $$SELECT id, image, article FROM fashion WHERE split = 'train'$$,
                           'article', ARRAY['image'], '{"test_fraction": 0.05, "epochs": 15}') AS fashion_id \gset

SELECT is((SELECT hyperparameters->'image'->>'height' || 'x' || (hyperparameters->'image'->>'width') || 'x' ||
                  (hyperparameters->'image'->>'channels')
           FROM xb.models WHERE id = :fashion_id), '28x28x1', 'the input size and channels come from the pictures');
SELECT is((SELECT (hyperparameters->>'batch_size') || '/' || (hyperparameters->>'patience') FROM xb.models WHERE id = :fashion_id),
          '128/3', 'an image feature brings the image training defaults');

-- Accuracy on the official test pictures, which training never saw.
CREATE TEMP TABLE scored AS
SELECT s.key::int AS id, s.label, s.probability FROM xb_score('pgtap30_fashion', $$SELECT id, image FROM fashion WHERE split = 'test'$$, 'id') s;
SELECT is((SELECT count(*) FROM scored), 1000::bigint, 'xb_score scores every test picture');
SELECT cmp_ok((SELECT avg((s.label = f.article)::int) FROM scored s JOIN fashion f USING (id)), '>=', 0.85::numeric,
              'test accuracy on 1000 unseen pictures is at least 0.85');
SELECT '# accuracy ' || round(avg((s.label = f.article)::int), 3) FROM scored s JOIN fashion f USING (id) \g /dev/stderr

-- The same labels by name, from table rows and from jsonb.
SELECT is((SELECT count(*) FROM (SELECT f.id, xb_predict_label('pgtap30_fashion', f) AS label FROM fashion f
                                  WHERE split = 'test' AND f.id < 60101) p JOIN scored s USING (id) WHERE p.label = s.label),
          100::bigint, 'xb_predict_label on table rows gives xb_score''s labels');
SELECT is((SELECT count(*) FROM (SELECT f.id, xb_predict_label('pgtap30_fashion', jsonb_build_object('image', f.image)) AS label
                                  FROM fashion f WHERE split = 'test' AND f.id < 60101) p JOIN scored s USING (id)
           WHERE p.label = s.label),
          100::bigint, 'xb_predict_label on jsonb (the bytea as hex text) gives the same labels');

-- A JPEG in colour is read as well: the first test picture saved by PIL as
-- an RGB JPEG (quality 90), converted to grey for the model.
SELECT is(xb_predict_label('pgtap30_fashion', jsonb_build_object('image', '\xffd8ffe000104a46494600010100000100010000ffdb0043000302020302020303030304030304050805050404050a070706080c0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ffdb00430103040405040509050509140d0b0d1414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414ffc0001108001c001c03012200021101031101ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc4001f0100030101010101010101010000000000000102030405060708090a0bffc400b51100020102040403040705040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c03010002110311003f00fcaaa280335e97f057e0ede7c4cd7639ae22920f0edb3eebbbafba65c73e4c47bbb74e3850727b0201e68013d052ba34670ca54e01c118e08c83f957e9ebfecd3f0bfc616d05f6b5e118cea7159a6648ae66b75c2a8291958dd558aae0124648e33c0c7c57fb6078297c0ff1c351b6b6b54b3d2aeaced2e34f8a2cec100856201793c0689d7fe03401d8fc2ef127ecfd1e9d6316a6b7ba26a71c3199e7d7348fed085a603e72af1396da58700c431c71d6bdd74af8f3f05343884b37c40b099205063b7d2b42d43cd703f815648a38d73fef015f9df45007ea0781ff006d0fd9f35f86fe1d67c47e2df0cc76f145f676d4746597cf6258b88d60926dbb7e504b9190463b8af9ebf6a9fda0be1ef8cbe2069d73e0abd9b57d1edf4b4b737371a6185fcc134cc41562bd9d7a0c73ed5f2251401fffd9'::bytea)),
          (SELECT label FROM scored WHERE id = 60001), 'a colour JPEG of a picture gets the label of its PNG');

-- Embeddings and attention.
SELECT is((SELECT array_length(xb_embed('pgtap30_fashion', image), 1) FROM fashion WHERE id = 60001), 64,
          'xb_embed gives the encoder''s 64 features');
SELECT is((SELECT array_length(xb_attention('pgtap30_fashion', image), 1) FROM fashion WHERE id = 60001), 49,
          'xb_attention gives one weight per cell of the 7 x 7 map');
SELECT ok((SELECT bool_and(abs(total - 1) < 1e-4 AND low >= 0)
           FROM (SELECT (SELECT sum(w) FROM unnest(xb_attention('pgtap30_fashion', image)) w) AS total,
                        (SELECT min(w) FROM unnest(xb_attention('pgtap30_fashion', image)) w) AS low
                 FROM fashion WHERE split = 'test' AND id < 60021) a),
          'the attention weights are at least 0 and sum to 1');
-- A cell of the 7 x 7 map is 4 x 4 pixels; those of one value (within 4
-- levels: the black backdrop) get no attention, the others all of it.
WITH pictures AS (
  SELECT f.id, f.image, decode(p.pixels, 'hex') AS px FROM fashion f JOIN fashion_pixels p USING (id)
  WHERE f.split = 'test' AND f.id < 60021),
spans AS (
  SELECT id, c, max(get_byte(px, ((c / 7) * 4 + dy) * 28 + (c % 7) * 4 + dx))
              - min(get_byte(px, ((c / 7) * 4 + dy) * 28 + (c % 7) * 4 + dx)) AS span
  FROM pictures, generate_series(0, 48) c, generate_series(0, 3) dy, generate_series(0, 3) dx GROUP BY id, c),
weights AS (
  SELECT id, a.c - 1 AS c, a.w FROM pictures, unnest(xb_attention('pgtap30_fashion', image)) WITH ORDINALITY a(w, c))
SELECT ok((SELECT count(*) FILTER (WHERE span <= 4) > 100 AND bool_and(w = 0) FILTER (WHERE span <= 4)
                  AND abs(sum(w) FILTER (WHERE span > 4) - 20) < 1e-3
           FROM spans JOIN weights USING (id, c)),
          'the blank cells of 20 pictures get no attention, their other cells all of it');
SELECT is((SELECT substr(xb_attention_png('pgtap30_fashion', image), 1, 8) FROM fashion WHERE id = 60001),
          '\x89504e470d0a1a0a'::bytea, 'xb_attention_png returns a PNG');
SELECT ok((SELECT length(xb_attention_png('pgtap30_fashion', image, 8)) > length(xb_attention_png('pgtap30_fashion', image, 2))
           FROM fashion WHERE id = 60001), 'a larger scale gives a larger picture');

-- Nearest neighbour by cosine similarity of the embeddings, in plain SQL.
CREATE TEMP TABLE embedded AS
SELECT id, article, split, e, sqrt((SELECT sum(x * x) FROM unnest(e) x)) AS norm
FROM (SELECT id, article, split, xb_embed('pgtap30_fashion', image)::float8[] AS e FROM fashion
      WHERE (split = 'train' AND id <= 2000) OR (split = 'test' AND id <= 60200)) x;
CREATE TEMP TABLE nearest AS
SELECT q.id, q.article, n.article AS neighbour
FROM embedded q CROSS JOIN LATERAL (
  SELECT t.article FROM embedded t WHERE t.split = 'train'
  ORDER BY (SELECT sum(a * b) FROM unnest(q.e, t.e) AS u(a, b)) / t.norm DESC LIMIT 1) n
WHERE q.split = 'test';
SELECT cmp_ok((SELECT avg((article = neighbour)::int) FROM nearest), '>=', 0.75::numeric,
              'the nearest of 2000 training pictures by embedding has the test picture''s class in at least 75 % of cases');
SELECT '# nearest neighbour agreement ' || round(avg((article = neighbour)::int), 3) FROM nearest \g /dev/stderr

-- The attention check: blacking out the most attended fifth of the map
-- costs the true class more than a random fifth on at least 80 % of the
-- pictures (the issue's bar; 0.927 here), and more often than for an
-- untrained network of the same shape (a coin toss on average over its
-- initial weights; this one draws 0.59).
CREATE TEMP TABLE faithful AS
SELECT * FROM xb_attention_faithfulness('pgtap30_fashion', $$SELECT image, article FROM fashion WHERE split = 'test' AND id <= 60300$$, 'article');
SELECT is((SELECT pictures FROM faithful), 300::bigint, 'the attention check reads every labelled picture');
SELECT ok((SELECT trained >= 0.8 AND trained >= untrained + 0.05 FROM faithful),
          'masking the most attended cells costs more than random cells for at least 80 % of pictures, more often than for an untrained network');
SELECT ok((SELECT untrained BETWEEN 0.3 AND 0.7 FROM faithful), 'for an untrained network the attention check is near chance');
SELECT '# attention faithfulness: trained ' || round(trained::numeric, 3) || ', untrained ' || round(untrained::numeric, 3) FROM faithful \g /dev/stderr

-- Bad pictures: the row is named and nothing is written.
SELECT count(*) AS models_before FROM xb.models \gset
SELECT throws_like($$SELECT xb_train_classifier('pgtap30_bad', $q$SELECT id, CASE WHEN id = 7 THEN '\x0102'::bytea ELSE image END AS image, article FROM fashion WHERE id <= 300 ORDER BY id$q$, 'article', ARRAY['image'], '{"epochs": 1}')$$,
                   '%cannot be decoded%row 7 of the source%', 'an undecodable picture names its row');
SELECT throws_like($$SELECT xb_train_classifier('pgtap30_bad', $q$SELECT id, CASE WHEN id = 9 THEN NULL ELSE image END AS image, article FROM fashion WHERE id <= 300 ORDER BY id$q$, 'article', ARRAY['image'], '{"epochs": 1}')$$,
                   '%image is NULL (row 9 of the source)%', 'a NULL picture names its row');
SELECT lives_ok($$SELECT xb_train_classifier('pgtap30_nulls', $q$SELECT id, CASE WHEN id = 9 THEN NULL ELSE image END AS image, article FROM fashion WHERE id <= 300 ORDER BY id$q$, 'article', ARRAY['image'], '{"epochs": 1, "image": {"nulls": "missing", "widths": [4, 4, 8, 8, 8]}}')$$,
                'with "nulls": "missing" a NULL picture trains as a black one');
SELECT throws_like($$SELECT xb_train_classifier('pgtap30_bad', $q$SELECT id, CASE WHEN id = 5 THEN xb_image_png('\x00'::bytea, 1, 1, 1) ELSE image END AS image, article FROM fashion WHERE id <= 300 ORDER BY id$q$, 'article', ARRAY['image'], '{"epochs": 1}')$$,
                   '%1 x 1, not 28 x 28 (row 5 of the source)%', 'a picture of another size names its row');
-- A 66-byte PNG declaring a 100000 x 100000 canvas: refused from its header.
SELECT throws_like($$SELECT xb_embed('pgtap30_fashion', '\x89504e470d0a1a0a0000000d49484452000186a0000186a008000000008d3954140000000949444154789c630000000100015eff7df90000000049454e44ae426082'::bytea)$$,
                   '%declares 100000 x 100000 pixels, over the limit%', 'a decompression bomb is refused before decoding');
SELECT throws_like($$SELECT xb_score('pgtap30_fashion', $q$SELECT id, CASE WHEN id = 60003 THEN '\xffd8ff00'::bytea ELSE image END AS image FROM fashion WHERE split = 'test'$q$, 'id')$$,
                   '%cannot be decoded%key 60003%', 'xb_score names the key of an undecodable picture');
SELECT is((SELECT count(*) FROM xb.models), (:models_before + 1)::bigint, 'only the model with "nulls": "missing" was written');

-- What the functions refuse.
SELECT xb_train_classifier('pgtap30_plain', 'SELECT id, label::text AS article, label AS x FROM fashion WHERE id <= 200', 'article',
                           ARRAY['x'], '{"epochs": 1}') AS plain_id \gset
SELECT throws_like($$SELECT xb_embed('pgtap30_plain', image) FROM fashion WHERE id = 1$$, '%has no image feature%',
                   'xb_embed needs a model with an image feature');
SELECT throws_like($$SELECT xb_attention_png('pgtap30_fashion', image, 0) FROM fashion WHERE id = 1$$, '%scale must be from 1 to 16%',
                   'the picture''s scale is bounded');
SELECT throws_like($$SELECT xb_image_png('\x0000'::bytea, 3, 3)$$, '%2 bytes, not width x height x channels = 9%',
                   'xb_image_png checks the pixel count');
-- A numeric array with a declared width and height is a picture too.
SELECT is((SELECT xb_image_png(ARRAY(SELECT get_byte(decode(pixels, 'hex'), i)::real FROM generate_series(0, 783) i), 28, 28)
           FROM fashion_pixels WHERE id = 1),
          (SELECT image FROM fashion WHERE id = 1), 'xb_image_png of a real[] of 0..255 gives the bytea''s PNG');
SELECT throws_like($$SELECT xb_image_png(ARRAY[0, 256, 3, 4]::real[], 2, 2)$$, '%pixel 2 is 256%not a value from 0 to 255%',
                   'pixel values outside 0..255 are refused');

-- A role without 'use' gets nothing from the model's encoder.
CREATE ROLE pgtap30_stranger;
GRANT SELECT ON fashion TO pgtap30_stranger;
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap30_stranger', 'SELECT xb_embed(''pgtap30_fashion'', image) FROM fashion WHERE id = 1')$$,
                 '42501', NULL, 'xb_embed needs use on the model');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap30_stranger', 'SELECT xb_attention_png(''pgtap30_fashion'', image) FROM fashion WHERE id = 1')$$,
                 '42501', NULL, 'xb_attention_png needs use on the model');

SELECT * FROM finish();
ROLLBACK;
